import { SALE_REGISTRY_KEY, saleKeys, type SaleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { LiveSales, type SaleWork } from './live-sales';
import { loadGears } from './load-gears';
import { redisNow } from './redis-clock';
import { SaleGears } from './sale-gears';
import { SaleRegistry } from './sale-registry';

/** Which sales LiveSales has its work serve now, as the work saw the calls. */
class Served implements SaleWork {
  readonly now = new Set<string>();
  readonly calls: string[] = [];

  async serve(sale: SaleKeys): Promise<void> {
    this.now.add(sale.saleId);
    this.calls.push(`serve ${sale.saleId}`);
  }

  async retire(sale: SaleKeys): Promise<void> {
    this.now.delete(sale.saleId);
    this.calls.push(`retire ${sale.saleId}`);
  }
}

describe('LiveSales', () => {
  let redis: TestRedis;
  let client: Redis;
  let registry: SaleRegistry;
  const running: LiveSales[] = [];

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    await loadGears(client);
    registry = new SaleRegistry(client);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((live) => live.stop()));
    await client.del(SALE_REGISTRY_KEY);
  });
  afterAll(() => redis.dispose());

  async function open(saleId: string): Promise<SaleKeys> {
    const sale = saleKeys(saleId);
    const now = await redisNow(client);
    await new SaleGears(client, sale).configure({ stock: 5, startsAt: now - 1000, endsAt: now + 60_000, force: true });
    await registry.register(saleId);
    return sale;
  }

  async function start(work: SaleWork): Promise<LiveSales> {
    const live = new LiveSales({ redis: client, service: 'order-generation', defaultSaleId: 'popup', work: [work] });
    running.push(live);
    await live.start();
    return live;
  }

  /** A customers entry read by order-generation's group and left pending: the id to ack. */
  async function readOne(sale: SaleKeys): Promise<string> {
    await client.xgroup('CREATE', sale.customers, 'order-generation', '0', 'MKSTREAM').catch(() => undefined);
    const id = (await client.xadd(sale.customers, '*', 'v', '1')) as string;
    await client.xreadgroup('GROUP', 'order-generation', 'spec', 'COUNT', 10, 'STREAMS', sale.customers, '>');
    return id;
  }

  it('serves the default sale, and a sale registered later within a second', async () => {
    const served = new Served();
    const live = await start(served);
    expect([...served.now]).toEqual(['popup']);
    const registeredAt = Date.now();
    await open('spring');
    await eventually(() => served.now.has('spring'), 'spring served', 1000);
    expect(Date.now() - registeredAt).toBeLessThan(1000);
    expect(live.served()).toEqual(['popup', 'spring']);
  });

  it('retires a sale once closed and read to its end, and serves it again when its score moves or entries come', async () => {
    const served = new Served();
    await start(served);
    const sale = await open('summer');
    await eventually(() => served.now.has('summer'), 'summer served');
    const pending = await readOne(sale);
    await new SaleGears(client, sale).setState('closed');
    // Closed, but an entry is pending in the group: still served.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(served.now.has('summer')).toBe(true);
    await client.xack(sale.customers, 'order-generation', pending);
    await eventually(() => !served.now.has('summer'), 'summer retired');

    // Reopened: the operator's change moves its score.
    await new SaleGears(client, sale).setState('open');
    await registry.register('summer');
    await eventually(() => served.now.has('summer'), 'summer served again');
    await new SaleGears(client, sale).setState('closed');
    await eventually(() => !served.now.has('summer'), 'summer retired again');

    // A late entry on a retired sale's stream brings it back, unread by the group.
    await client.xadd(sale.customers, '*', 'v', '2');
    await eventually(() => served.now.has('summer'), 'summer served for its late entry', 5000);
    expect(served.calls.filter((call) => call.endsWith('summer'))).toEqual([
      'serve summer',
      'retire summer',
      'serve summer',
      'retire summer',
      'serve summer',
    ]);
  });

  it('at boot, serves the registered sales that are live and never those already closed and drained', async () => {
    const live = await open('autumn');
    const over = await open('winter');
    await new SaleGears(client, over).setState('closed');
    const served = new Served();
    await start(served);
    await eventually(() => served.now.has(live.saleId), 'autumn served');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(served.calls).toEqual(['serve popup', 'serve autumn']);
  });

  it('retires a sale an operator took out of the registry', async () => {
    const served = new Served();
    await start(served);
    await open('spring');
    await eventually(() => served.now.has('spring'), 'spring served');
    await client.zrem(SALE_REGISTRY_KEY, 'spring');
    await eventually(() => !served.now.has('spring'), 'spring retired');
  });
});
