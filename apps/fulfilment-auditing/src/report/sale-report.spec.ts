import { loadGears, SaleGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { computeSaleReport } from './sale-report';
import { entryFields } from '@popup-store/streams-transport';
import { customerContract, rejectionContract } from '@popup-store/contracts';

jest.setTimeout(60_000);

describe('computeSaleReport', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  }, 60_000);
  afterAll(() => redis.dispose());

  // The soak (docs/reliability.md) found it: with 666,409 units sold the report was never written, every audit
  // check failing with "Maximum call stack size exceeded" (Math.min over a spread of every record).
  it('reports a sale with more decision records than a function takes arguments', async () => {
    const sale = saleKeys(`${redis.namespace}-large`);
    const [seconds] = await client.time();
    const now = Number(seconds) * 1000;
    await new SaleGears(client, sale).configure({ stock: 1, startsAt: now - 1000, endsAt: now + 60_000 });
    const records = 200_000;
    for (let from = 0; from < records; from += 10_000) {
      const pipeline = client.pipeline();
      for (let i = from; i < from + 10_000; i++) {
        const rejection = {
          orderId: `o${i}`,
          customerId: `c${i}`,
          reason: 'sold_out',
          submittedAt: now + i,
          decidedAt: now + i + 5,
        };
        pipeline.xadd(sale.rejected, '*', ...entryFields(rejectionContract, JSON.stringify(rejection)));
      }
      await pipeline.exec();
    }
    const report = await computeSaleReport(client, sale);
    expect(report.rejected.sold_out).toBe(records);
    expect(report.latencyMs.decision).toMatchObject({ count: records, p50: 5, max: 5 });
  });

  // The Redis Cluster master-kill scenario found it: an intake whose WAIT timed out in the failover answered 503,
  // the shopper retried with the same key, and the order's two customer entries counted as one lost.
  it('tells a second customer entry of a decided order from a lost one', async () => {
    const sale = saleKeys(`${redis.namespace}-replayed`);
    const [seconds] = await client.time();
    const now = Number(seconds) * 1000;
    const gears = new SaleGears(client, sale);
    await gears.configure({ stock: 5, startsAt: now - 1000, endsAt: now + 60_000 });
    const customerEntry = (orderId: string, customerId: string) =>
      client.xadd(
        sale.customers,
        '*',
        ...entryFields(customerContract, JSON.stringify({ orderId, customerId, submittedAt: now })),
      ) as Promise<string>;
    const toDecide = (n: number, orderId: string, customerId: string, customerEntryId: string) => ({
      entryId: `1-${n}`, orderId, customerId, submittedAt: now, customerEntryId,
    });
    // ann's order written twice (the retried write), each entry decided: the second is a replay of the first.
    const first = await customerEntry('o-ann', 'ann');
    const second = await customerEntry('o-ann', 'ann');
    await gears.decide([toDecide(1, 'o-ann', 'ann', first)]);
    await gears.decide([toDecide(2, 'o-ann', 'ann', second)]);
    const replayed = await computeSaleReport(client, sale);
    expect(replayed).toMatchObject({ accepted: 2, decided: 1, replayed: 1, pending: 0, lost: 0, ok: true });

    // bob's entry deleted with no decision (what a lost order looks like) is still lost.
    await client.xdel(sale.customers, await customerEntry('o-bob', 'bob'));
    const lost = await computeSaleReport(client, sale);
    expect(lost).toMatchObject({ accepted: 3, decided: 1, replayed: 1, lost: 1, ok: false });
    expect(lost.violations).toContain('1 accepted orders neither decided nor waiting');
  });
});
