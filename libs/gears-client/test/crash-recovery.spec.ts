import { eventually } from '@popup-store/redis-harness';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { loadGears } from '../src/lib/load-gears';
import { SaleGears } from '../src/lib/sale-gears';
import { addOrders, drain, expectSaleInvariants, freshSale, redisNow, snapshot, type TestOrder } from './sale-fixture';

describe('kill -9 during a sale (AOF, appendfsync always)', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis({ appendfsync: 'always' });
  });
  afterAll(() => redis.dispose());

  it('continues after a restart: every order decided exactly once, nothing sold twice', async () => {
    const client = redis.client();
    const { version } = await loadGears(client);
    const sale = freshSale(redis.namespace);
    const now = await redisNow(client);
    const stock = 400;
    await new SaleGears(client, sale).configure({ stock, startsAt: now - 1000, endsAt: now + 600_000 });
    const orders: TestOrder[] = Array.from({ length: 1500 }, (_, i) => ({
      orderId: `o${i}`,
      customerId: `c${i % 1000}`,
    }));
    await addOrders(client, sale, orders);

    // Triggers on clients that wait out the outage and resend what was in flight: at-least-once from the client.
    const triggers = Array.from({ length: 3 }, () => redis.client({ maxRetriesPerRequest: null }));
    const errors: unknown[] = [];
    const draining = drain(triggers, sale, 10, { timeoutMs: 60_000, onError: (error) => errors.push(error) });
    const watcher = redis.client({ maxRetriesPerRequest: null });
    await eventually(async () => (await watcher.xlen(sale.completed)) >= 100, 'some completions before the crash');
    const decidedBeforeCrash = await watcher.hlen(sale.decisions);
    await redis.kill();
    await redis.restart();
    await draining;

    expect(decidedBeforeCrash).toBeGreaterThanOrEqual(100);
    expect(decidedBeforeCrash).toBeLessThan(orders.length);

    await expect(loadGears(client)).resolves.toMatchObject({ outcome: 'unchanged', version });
    const after = await snapshot(client, sale);
    expectSaleInvariants(after, orders, stock);
    expect(after.completed).toHaveLength(stock);
    expect(after.rejected.length).toBe(orders.length - stock);
  }, 90_000);
});
