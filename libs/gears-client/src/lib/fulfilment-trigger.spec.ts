import { deadLetterStream } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { addOrders, drained, freshSale, redisNow, snapshot } from '../../test/sale-fixture';
import { FulfilmentTrigger } from './fulfilment-trigger';
import { loadGears } from './load-gears';
import { SaleGears } from './sale-gears';

describe('FulfilmentTrigger', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  async function openSale(stock: number) {
    const sale = freshSale(redis.namespace);
    const now = await redisNow(client);
    await new SaleGears(client, sale).configure({ stock, startsAt: now - 1000, endsAt: now + 60_000 });
    return sale;
  }

  it('refuses a batch size the library cannot take', () => {
    const sale = freshSale(redis.namespace);
    for (const count of [0, 1001, 2.5]) expect(() => new FulfilmentTrigger({ redis: client, sale, consumer: 'c', count })).toThrow(RangeError);
  });

  it('decides new orders in batches, and waits for them when asked to block', async () => {
    const sale = await openSale(2);
    const trigger = new FulfilmentTrigger({ redis: redis.client(), sale, consumer: 'c', count: 2, blockMs: 5000 });
    await trigger.ensureGroup();
    await trigger.ensureGroup();
    const waiting = trigger.poll();
    await addOrders(client, sale, [{ orderId: 'o1', customerId: 'a' }]);
    // The blocked read is served by the XADD that woke it.
    expect((await waiting).decided.map((d) => d.orderId)).toEqual(['o1']);
    await addOrders(client, sale, [{ orderId: 'o2', customerId: 'b' }, { orderId: 'o3', customerId: 'c' }]);
    const next = await trigger.poll();
    expect(next.decided.map((d) => [d.orderId, d.decision.outcome])).toEqual([['o2', 'completed'], ['o3', 'rejected']]);
    expect(await drained(client, sale)).toBe(true);
  });

  it('moves entries that break the order contract to the dead-letter stream', async () => {
    const sale = await openSale(5);
    const trigger = new FulfilmentTrigger({ redis: client, sale, consumer: 'c' });
    await trigger.ensureGroup();
    await client.xadd(sale.orders, '*', 'v', '1', 'data', '{"orderId":"o9"}');
    await addOrders(client, sale, [{ orderId: 'o1', customerId: 'a' }]);
    const round = await trigger.poll();
    expect(round).toMatchObject({ deadLettered: 1, decided: [expect.objectContaining({ orderId: 'o1' })] });
    const [[, fields]] = (await client.xrange(deadLetterStream(sale.orders), '-', '+')) as [[string, string[]]];
    expect(JSON.parse(fields[3] as string)).toMatchObject({ stream: sale.orders, group: 'fulfilment', consumer: 'c', fields: { data: '{"orderId":"o9"}' } });
    expect(await drained(client, sale)).toBe(true);
  });

  it('decides again what a lost reply left pending: its own first, then another consumer’s by reclaiming', async () => {
    const sale = await openSale(5);
    const orders = [{ orderId: 'o1', customerId: 'a' }, { orderId: 'o2', customerId: 'b' }];
    await addOrders(client, sale, orders);
    const dying = redis.client();
    const lost = new FulfilmentTrigger({ redis: dying, sale, consumer: 'lost', count: 1 });
    await lost.ensureGroup();
    await client.call('FUNCTION', 'DELETE', 'popup');
    await expect(lost.poll()).rejects.toMatchObject({ code: 'POPUP_LIBRARY_NOT_LOADED' });
    await loadGears(client);
    expect((await lost.poll()).decided).toEqual([expect.objectContaining({ orderId: 'o1', replayed: false })]);

    await client.xreadgroup('GROUP', 'fulfilment', 'dead', 'COUNT', 1, 'STREAMS', sale.orders, '>');
    const other = new FulfilmentTrigger({ redis: client, sale, consumer: 'other' });
    expect((await other.poll()).decided).toEqual([]);
    expect((await other.reclaimStale(0)).decided).toEqual([expect.objectContaining({ orderId: 'o2', replayed: false })]);
    expect(await drained(client, sale)).toBe(true);
    expect((await snapshot(client, sale)).completed).toHaveLength(2);
  });
});
