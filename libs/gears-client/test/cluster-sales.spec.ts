import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { eventually, startTestCluster, type TestCluster } from '@popup-store/redis-harness';
import { Redis, type Cluster } from 'ioredis';
import { GearsWatcher } from '../src/lib/gears-watcher';
import { POPUP_LIBRARY } from '../src/lib/library';
import { loadedVersion, loadGears, type MasterLoad } from '../src/lib/load-gears';
import { SaleGears } from '../src/lib/sale-gears';
import { ordersOf as ordersToDecide } from './order-caller';
import { addOrders, drained, expectSaleInvariants, redisNow, snapshot, type TestOrder } from './sale-fixture';

type StreamEntry = [id: string, fields: string[] | null];

interface Decider {
  /** Every decide call: when it was made and when it returned or failed, ms since the epoch. */
  readonly calls: { readonly from: number; readonly to: number; readonly ok: boolean }[];
  readonly errors: unknown[];
}

/**
 * Decides a sale's orders the way the completion trigger does, through SaleGears.decide: this consumer's own
 * pending orders first (a reply lost in a failover leaves them there), then new ones, until the sale is
 * drained and `more` says no more orders are coming. Errors (a master down, TRYAGAIN past the client's retries)
 * are counted and the round is tried again.
 */
async function decideAll(
  client: Cluster,
  sale: SaleKeys,
  consumer: string,
  batch: number,
  timeoutMs: number,
  decider: Decider = { calls: [], errors: [] },
  more: () => boolean = () => false,
): Promise<Decider> {
  const gears = new SaleGears(client, sale);
  const deadline = Date.now() + timeoutMs;
  const read = async (from: '0' | '>') => {
    const reply = (await client.xreadgroup('GROUP', 'fulfilment', consumer, 'COUNT', batch, 'STREAMS', sale.orders, from)) as
      | [string, StreamEntry[]][]
      | null;
    return reply?.[0]?.[1] ?? [];
  };
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${sale.saleId} not drained in ${timeoutMs} ms (${decider.errors.length} errors)`);
    let from: number | undefined;
    try {
      const own = await read('0');
      const entries = own.length > 0 ? own : await read('>');
      if (entries.length === 0) {
        if (!more() && (await drained(client, sale))) return decider;
        // Polling an empty stream: leave the event loop and Redis to the writer of the next orders.
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      const orders = ordersToDecide(entries);
      from = Date.now();
      await gears.decide(orders);
      decider.calls.push({ from, to: Date.now(), ok: true });
    } catch (error) {
      if (from !== undefined) decider.calls.push({ from, to: Date.now(), ok: false });
      decider.errors.push(error);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function twoDeciders(): Decider[] {
  return [0, 1].map(() => ({ calls: [], errors: [] }));
}

/** A sale open now, with its orders waiting on the orders stream and the fulfilment group created. */
async function openSale(client: Cluster, sale: SaleKeys, stock: number, orders: readonly TestOrder[]): Promise<void> {
  const now = await redisNow(client);
  await new SaleGears(client, sale).configure({ stock, startsAt: now - 1000, endsAt: now + 600_000 });
  await client.xgroup('CREATE', sale.orders, 'fulfilment', '0', 'MKSTREAM');
  await addOrders(client, sale, orders);
}

/** Orders of `customers` customers, each once, the first `resent` also sent twice (a producer's duplicate). */
function ordersOf(customers: number, resent = 0, secondOrders = 0): TestOrder[] {
  const first = Array.from({ length: customers }, (_, i) => ({ orderId: `o${i}`, customerId: `c${i}` }));
  const again = first.slice(0, resent);
  const second = Array.from({ length: secondOrders }, (_, i) => ({ orderId: `p${i}`, customerId: `c${i}` }));
  return [...first, ...again, ...second];
}

describe('sales on a Redis Cluster (3 masters, 3 replicas)', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let watcher: GearsWatcher;
  const loaded: MasterLoad[] = [];
  let sales = 0;

  /** A fresh sale id whose `{sale:<id>}` slot is on the master on `port`, or on any master when omitted. */
  async function saleOn(port?: number): Promise<SaleKeys> {
    for (;;) {
      const sale = saleKeys(`${cluster.namespace}-${++sales}`);
      if (port === undefined || (await cluster.masterOf(sale.state)).port === port) return sale;
    }
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ owned: true });
    client = cluster.client();
    watcher = new GearsWatcher({ cluster: client, intervalMs: 200, onLoaded: (load) => loaded.push(load) });
  }, 30_000);
  afterAll(async () => {
    watcher.stop();
    await cluster.dispose();
  });

  it('loads the library on every master, once, and Redis replicates it to every replica', async () => {
    const first = await loadGears(client);
    expect(first.outcome).toBe('loaded');
    expect(first.masters).toHaveLength(3);
    expect(first.masters?.every((m) => m.outcome === 'loaded' && m.previous === null)).toBe(true);
    const again = await watcher.start();
    expect(again.masters?.map((m) => m.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);

    const replicas = (await cluster.topology()).filter((node) => node.role === 'replica');
    expect(replicas).toHaveLength(3);
    for (const replica of replicas) {
      const direct = new Redis({ port: replica.port, lazyConnect: true });
      try {
        await eventually(async () => (await loadedVersion(direct)) === POPUP_LIBRARY.version, `the library on replica ${replica.port}`);
      } finally {
        direct.disconnect();
      }
    }
  });

  it('runs 12 sales spread over the 3 masters at once, each within its stock and one unit per customer', async () => {
    const masters = (await cluster.topology()).filter((node) => node.role === 'master');
    const picked: SaleKeys[] = [];
    for (const master of masters) for (let i = 0; i < 4; i++) picked.push(await saleOn(master.port));
    const stock = 20;
    const orders = ordersOf(30, 10, 5);
    await Promise.all(picked.map((sale) => openSale(client, sale, stock, orders)));

    await Promise.all(
      picked.flatMap((sale) => [0, 1].map((c) => decideAll(client, sale, `consumer-${c}`, 7, 20_000))),
    );

    for (const sale of picked) {
      expectSaleInvariants(await snapshot(client, sale), orders, stock);
      const status = await new SaleGears(client, sale).status();
      expect(status).toMatchObject({ phase: 'sold_out', left: 0, counts: { completed: stock, duplicate: 5 } });
      expect(status.counts.sold_out).toBe(35 - stock - 5);
    }
  }, 40_000);

  it('kill -9 of a master mid-sale: its replica, which has the library, takes over and the sale goes on', async () => {
    const sale = await saleOn();
    const master = await cluster.masterOf(sale.state);
    const replica = (await cluster.topology()).find((node) => node.masterId === master.id);
    const stock = 400;
    const orders = ordersOf(1000, 500);
    await openSale(client, sale, stock, orders);
    // Orders acknowledged before the crash must be on the replica: replication is asynchronous.
    // (WAIT has no key: in a pipeline behind a command on the sale's keys, it goes to the sale's master.)
    const replies = await client.pipeline().xlen(sale.orders).call('WAIT', '1', '5000').exec();
    expect(replies?.[1]).toEqual([null, 1]);

    const loadsBefore = loaded.length;
    const deciders = twoDeciders();
    const deciding = Promise.all(deciders.map((d, c) => decideAll(client, sale, `consumer-${c}`, 10, 45_000, d)));
    await eventually(async () => (await client.xlen(sale.completed)) >= 100, 'some completions before the crash');
    await cluster.process.kill(master.port);
    const killedAt = Date.now();
    await deciding;

    expect((await cluster.masterOf(sale.state)).id).toBe(replica?.id);
    expect(deciders.some((d) => d.calls.some((call) => call.ok && call.to > killedAt))).toBe(true);
    // The promoted replica had the library by replication: the watcher found it there and loaded nothing.
    const check = await watcher.check();
    expect(check.masters?.find((m) => m.node.endsWith(`:${replica?.port}`))).toMatchObject({
      outcome: 'unchanged',
      previous: POPUP_LIBRARY.version,
    });
    expect(loaded.slice(loadsBefore)).toEqual([]);
    const after = await snapshot(client, sale);
    expectSaleInvariants(after, orders, stock);
    expect(after.completed).toHaveLength(stock);
  }, 60_000);

  it('moves a live sale to a newly added master while orders are decided: the watcher loads it first, MOVED and ASK are followed', async () => {
    await cluster.process.waitUntilHealthy();
    const added = await cluster.process.addMaster();
    await eventually(() => loaded.some((load) => load.node.endsWith(`:${added.port}`)), 'the watcher to load the new master');

    const sale = await saleOn();
    const stock = 1000;
    const orders = ordersOf(1500, 300);
    // Half the customers order before the move, the rest after it: their orders go to the new master.
    const late = (order: TestOrder) => Number(order.customerId.slice(1)) >= 1000;
    await openSale(client, sale, stock, orders.filter((order) => !late(order)));
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', sale.state));

    const deciders = twoDeciders();
    let lateOrdersComing = true;
    const deciding = Promise.all(
      deciders.map((d, c) => decideAll(client, sale, `consumer-${c}`, 5, 45_000, d, () => lateOrdersComing)),
    );
    await eventually(async () => (await client.hlen(sale.decisions)) >= 50, 'some decisions before the move');
    const movedFrom = Date.now();
    await cluster.process.migrateSlot(slot, added.port);
    const movedTo = Date.now();
    await addOrders(client, sale, orders.filter(late));
    lateOrdersComing = false;
    await deciding;

    expect((await cluster.masterOf(sale.state)).port).toBe(added.port);
    const calls = deciders.flatMap((d) => d.calls);
    // Decisions were under way while the keys moved one by one (a multi-key FCALL gets ASK, then TRYAGAIN while
    // its keys are split, and the client retries), and went on after, on the new master.
    expect(calls.some((call) => call.from <= movedTo && call.to >= movedFrom)).toBe(true);
    expect(calls.filter((call) => call.ok && call.from > movedTo).length).toBeGreaterThan(0);
    const after = await snapshot(client, sale);
    expectSaleInvariants(after, orders, stock);
    expect(after.completed).toHaveLength(stock);
  }, 60_000);
});
