import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { POPUP_LIBRARY } from '../src/lib/library';
import { loadGears, loadedVersion } from '../src/lib/load-gears';
import { SaleGears } from '../src/lib/sale-gears';
import { addOrders, drain, expectSaleInvariants, freshSale, redisNow, snapshot, type TestOrder } from './sale-fixture';

describe('reloading the library during a sale', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(() => redis.dispose());

  it('loses and duplicates nothing while triggers call it', async () => {
    const client = redis.client();
    await loadGears(client);
    const sale = freshSale(redis.namespace);
    const now = await redisNow(client);
    const stock = 700;
    await new SaleGears(client, sale).configure({ stock, startsAt: now - 1000, endsAt: now + 600_000 });
    const orders: TestOrder[] = Array.from({ length: 2000 }, (_, i) => ({
      orderId: `o${i}`,
      customerId: `c${i % 1500}`,
    }));
    await addOrders(client, sale, orders);

    // Two versions of the same library, swapped back and forth until the orders are drained.
    const next = { version: 'reloaded', source: POPUP_LIBRARY.source.replace(POPUP_LIBRARY.version, 'reloaded') };
    const loader = redis.client();
    let reloads = 0;
    let draining = true;
    const reloading = (async () => {
      while (draining) {
        await loadGears(loader, reloads % 2 === 0 ? next : POPUP_LIBRARY);
        reloads++;
      }
    })();
    await drain([redis.client(), redis.client(), redis.client()], sale, 20, { timeoutMs: 30_000 });
    draining = false;
    await reloading;

    expect(reloads).toBeGreaterThan(5);
    expect(await loadedVersion(client)).toMatch(/^(reloaded|[0-9a-f]{16})$/);
    const after = await snapshot(client, sale);
    expectSaleInvariants(after, orders, stock);
    expect(after.completed).toHaveLength(stock);
  }, 40_000);
});
