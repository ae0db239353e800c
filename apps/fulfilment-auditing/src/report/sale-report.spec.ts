import { loadGears, SaleGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { computeSaleReport } from './sale-report';
import { entryFields } from '@popup-store/streams-transport';
import { rejectionContract } from '@popup-store/contracts';

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
});
