import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { addOrders, freshSale, redisNow, snapshot } from '../../../test/sale-fixture';
import { GearsError, GearsErrorCode } from '../gears-error';
import { loadGears } from '../load-gears';
import { ordersOf } from '../../../test/order-caller';
import { SaleGears } from '../sale-gears';
import { decideOrdersFunction, type OrderToDecide } from './decide-orders';

const order = (n: number, customer: string, extra: Partial<OrderToDecide> = {}): OrderToDecide => ({
  entryId: `1-${n}`,
  orderId: `o${n}`,
  customerId: customer,
  submittedAt: 1000 + n,
  customerEntryId: `2-${n}`,
  ...extra,
});

describe('decideOrdersFunction arguments', () => {
  it('passes the sale keys in the order the Lua header lists them', () => {
    const sale = saleKeys('s');
    expect(decideOrdersFunction.keys(sale)).toEqual([
      sale.state, sale.buyers, sale.decisions, sale.orders, sale.customers, sale.completed, sale.rejected,
    ]);
  });

  it('flattens each order into 7 arguments after the group, with empty trace fields when absent', () => {
    const args = decideOrdersFunction.args({
      orders: [order(1, 'a'), order(2, 'b', { traceparent: 'tp', tracestate: 'ts' })],
    });
    expect(args).toEqual(['fulfilment', '1-1', 'o1', 'a', '1001', '2-1', '', '', '1-2', 'o2', 'b', '1002', '2-2', 'tp', 'ts']);
    expect(decideOrdersFunction.args({ orders: [order(1, 'a')], group: 'g' })[0]).toBe('g');
  });

  it('pairs each reply with its order, and its trace context', () => {
    const orders = [order(1, 'a'), order(2, 'b', { traceparent: 'tp', tracestate: 'ts' })];
    expect(decideOrdersFunction.parse([['completed:1:5', 'rejected:duplicate:5'], [2]], { orders })).toStrictEqual([
      {
        entryId: '1-1', orderId: 'o1', customerId: 'a', decision: { outcome: 'completed', unit: 1, at: 5 }, replayed: false,
        traceparent: undefined, tracestate: undefined,
      },
      {
        entryId: '1-2', orderId: 'o2', customerId: 'b', decision: { outcome: 'rejected', reason: 'duplicate', at: 5 }, replayed: true,
        traceparent: 'tp', tracestate: 'ts',
      },
    ]);
  });
});

describe('popup_decide_orders', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  /** An open sale with its orders on the stream, read by the fulfilment group. */
  async function openSale(stock: number, customers: string[], trace: Record<string, string> = {}) {
    const sale = freshSale(redis.namespace);
    const now = await redisNow(client);
    const gears = new SaleGears(client, sale);
    await gears.configure({ stock, startsAt: now - 1000, endsAt: now + 60_000 });
    await client.xgroup('CREATE', sale.orders, 'fulfilment', '0', 'MKSTREAM');
    await addOrders(client, sale, customers.map((customerId, i) => ({ orderId: `o${i + 1}`, customerId, ...trace })));
    const read = (await client.xreadgroup('GROUP', 'fulfilment', 'c', 'STREAMS', sale.orders, '>')) as [
      string,
      [string, string[]][],
    ][];
    const orders = ordersOf(read[0]?.[1] ?? []);
    return { sale, gears, orders };
  }

  it('checks closed, then duplicate, then stock, and records each decision once', async () => {
    const { sale, gears, orders } = await openSale(2, ['ann', 'ann', 'bob', 'cid', 'ann']);
    const decided = await gears.decide(orders);
    expect(decided.map((d) => d.decision.outcome === 'completed' ? `unit ${d.decision.unit}` : d.decision.reason)).toEqual([
      'unit 1', 'duplicate', 'unit 2', 'sold_out', 'duplicate',
    ]);
    const after = await snapshot(client, sale);
    expect(after.completed.map((r) => r.data)).toEqual([
      expect.objectContaining({ orderId: 'o1', customerId: 'ann', unit: 1 }),
      expect.objectContaining({ orderId: 'o3', customerId: 'bob', unit: 2 }),
    ]);
    expect(after.state).toMatchObject({ left: '0', completed: '2', duplicate: '2', sold_out: '1', closed: '0' });
    expect(Number(after.state['soldOutAt'])).toBe(decided[2]?.decision.at);
    expect(after.buyers).toEqual({ ann: 'o1:1', bob: 'o3:2' });
    expect(after.customers).toBe(0);
    expect(await client.xlen(sale.orders)).toBe(0);
    expect(((await client.xpending(sale.orders, 'fulfilment')) as [number])[0]).toBe(0);
    await expect(gears.decision('o3')).resolves.toEqual(decided[2]?.decision);
    await expect(gears.decision('nope')).resolves.toBeNull();
  });

  it('answers a repeated call with the first decisions and changes nothing', async () => {
    const { sale, gears, orders } = await openSale(1, ['ann', 'bob']);
    const first = await gears.decide(orders);
    const before = await snapshot(client, sale);
    const again = await gears.decide(orders);
    expect(again).toEqual(first.map((d) => ({ ...d, replayed: true })));
    expect(await snapshot(client, sale)).toEqual(before);
  });

  it('deletes the customer entry of an order decided before, and counts it once: two entries of one order (a retried write) leave none', async () => {
    const { sale, gears, orders } = await openSale(5, ['ann']);
    await gears.decide(orders);
    // The intake's retry of a write whose WAIT failed: a second customer entry, and its order, for the same ticket.
    await addOrders(client, sale, [{ orderId: 'o1', customerId: 'ann' }]);
    expect(await client.xlen(sale.customers)).toBe(1);
    const read = (await client.xreadgroup('GROUP', 'fulfilment', 'c', 'STREAMS', sale.orders, '>')) as [
      string,
      [string, string[]][],
    ][];
    const second = ordersOf(read[0]?.[1] ?? []);
    const again = await gears.decide(second);
    expect(again.map((d) => d.replayed)).toEqual([true]);
    expect(await client.xlen(sale.customers)).toBe(0);
    expect(await client.hget(sale.state, 'completed')).toBe('1');
    // The auditor tells this entry from a lost order by the count: one entry added, none decided, one replayed.
    expect((await gears.status()).replayed).toBe(1);
    // The same second entry delivered again (a retried FCALL) finds it deleted: it was added once, counted once.
    await gears.decide(second);
    expect((await gears.status()).replayed).toBe(1);
  });

  it('writes v1 entries that carry the order’s trace context', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { sale, gears, orders } = await openSale(1, ['ann', 'bob'], { traceparent });
    await gears.decide(orders.map((o, i) => (i === 1 ? { ...o, tracestate: 'k=v' } : o)));
    const after = await snapshot(client, sale);
    expect(after.completed[0]?.fields).toEqual({ v: '1', data: expect.any(String), traceparent });
    expect(after.rejected[0]?.fields).toEqual({ v: '1', data: expect.any(String), traceparent, tracestate: 'k=v' });
    expect(after.rejected[0]?.data).toEqual({
      orderId: 'o2', customerId: 'bob', reason: 'sold_out', submittedAt: orders[1]?.submittedAt, decidedAt: expect.any(Number),
    });
  });

  it('escapes ids that JSON needs escaped', async () => {
    const { sale, gears, orders } = await openSale(1, ['ann', 'bob']);
    const odd = ['say "hi"\\', 'tab\there'];
    await gears.decide(orders.map((o, i) => ({ ...o, orderId: odd[i] as string })));
    const after = await snapshot(client, sale);
    expect([after.completed[0]?.data['orderId'], after.rejected[0]?.data['orderId']]).toEqual(odd);
  });

  it('rejects every order of a closed or unconfigured sale as closed, and a customer may order again', async () => {
    const { gears, orders } = await openSale(5, ['ann', 'ann']);
    await gears.setState('closed');
    expect((await gears.decide(orders.slice(0, 1)))[0]?.decision).toMatchObject({ reason: 'closed' });
    await gears.setState('open');
    expect((await gears.decide(orders.slice(1)))[0]?.decision).toMatchObject({ outcome: 'completed', unit: 1 });
    const never = new SaleGears(client, freshSale(redis.namespace));
    expect((await never.decide([order(1, 'x')]))[0]?.decision).toMatchObject({ reason: 'closed' });
  });

  it('refuses malformed arguments with ERR_POPUP_BAD_ARG and writes nothing', async () => {
    const { sale, gears, orders } = await openSale(5, ['ann']);
    const before = await snapshot(client, sale);
    const refused = async (args: string[], detail: RegExp) => {
      const call = client.call('FCALL', 'popup_decide_orders', 7, ...decideOrdersFunction.keys(sale), ...args);
      await expect(call).rejects.toThrow(/^ERR_POPUP_BAD_ARG/);
      await expect(call.catch((e: Error) => e.message)).resolves.toMatch(detail);
    };
    const good = decideOrdersFunction.args({ orders });
    await refused(good.slice(0, -1), /7 fields per order/);
    await refused(['fulfilment'], /7 fields per order/);
    await refused(decideOrdersFunction.args({ orders: Array.from({ length: 1001 }, (_, i) => order(i, 'x')) }), /1 to 1000/);
    await refused([...good.slice(0, 1), 'not-an-id', ...good.slice(2)], /malformed stream id/);
    await refused([...good.slice(0, 4), '12.5', ...good.slice(5)], /submittedAt must be an integer/);
    await refused([...good.slice(0, 4), '0012', ...good.slice(5)], /submittedAt must be an integer/);
    await refused([...good.slice(0, 2), '', ...good.slice(3)], /empty orderId/);
    const typed = gears.decide([{ ...(orders[0] as OrderToDecide), submittedAt: Number.NaN }]);
    await expect(typed).rejects.toBeInstanceOf(GearsError);
    await expect(typed).rejects.toMatchObject({ code: GearsErrorCode.BadArgument, fn: 'popup_decide_orders' });
    expect(await snapshot(client, sale)).toEqual(before);
  });
});

