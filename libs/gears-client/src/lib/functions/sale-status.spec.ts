import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { addOrders, drain, freshSale, redisNow } from '../../../test/sale-fixture';
import { loadGears } from '../load-gears';
import { SaleGears } from '../sale-gears';
import { saleStatusFunction } from './sale-status';

describe('saleStatusFunction', () => {
  it('takes the state key only, and reads -1 times as null', () => {
    expect(saleStatusFunction.keys(saleKeys('s'))).toEqual(['{sale:s}:state']);
    expect(saleStatusFunction.args()).toEqual([]);
    const reply = ['phase', 'unconfigured', 'state', 'closed', 'stock', 0, 'left', 0, 'startsAt', -1, 'endsAt', -1,
      'soldOutAt', -1, 'now', 7, 'completed', 0, 'closed', 2, 'duplicate', 0, 'sold_out', 0, 'run', 1, 'replayed', 3];
    expect(saleStatusFunction.parse(reply)).toEqual({
      phase: 'unconfigured', state: 'closed', stock: 0, left: 0, startsAt: null, endsAt: null, soldOutAt: null, now: 7,
      counts: { completed: 0, closed: 2, duplicate: 0, sold_out: 0 },
      run: 1,
      replayed: 3,
    });
  });
});

describe('popup_sale_status', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  it('follows a sale through its phases, read-only', async () => {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    expect((await gears.status()).phase).toBe('unconfigured');
    const now = await redisNow(client);
    await gears.configure({ stock: 1, startsAt: now + 60_000, endsAt: now + 120_000 });
    expect((await gears.status()).phase).toBe('scheduled');
    await gears.configure({ stock: 1, startsAt: now - 60_000, endsAt: now - 1 });
    expect((await gears.status()).phase).toBe('ended');
    await gears.configure({ stock: 1, startsAt: now - 60_000, endsAt: now + 60_000 });
    expect((await gears.status()).phase).toBe('open');
    await addOrders(client, gears.sale, [{ orderId: 'o1', customerId: 'ann' }, { orderId: 'o2', customerId: 'ann' }]);
    await drain([client], gears.sale, 10);
    const status = await gears.status();
    expect(status).toEqual({
      phase: 'sold_out', state: 'open', stock: 1, left: 0, startsAt: now - 60_000, endsAt: now + 60_000,
      soldOutAt: expect.any(Number), now: expect.any(Number), counts: { completed: 1, closed: 0, duplicate: 1, sold_out: 0 }, run: 1,
      replayed: 0,
    });
    expect(status.now).toBeGreaterThanOrEqual(status.soldOutAt as number);
    await expect(client.call('FCALL_RO', 'popup_sale_status', 1, gears.sale.state)).resolves.toBeDefined();
  });
});
