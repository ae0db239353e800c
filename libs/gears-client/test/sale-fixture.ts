import { saleKeys, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../src/lib/gears-function';
import { OrderCaller } from './order-caller';

let sales = 0;

/** A sale of its own for one test, inside the harness namespace. */
export function freshSale(namespace: string): SaleKeys {
  return saleKeys(`${namespace}-${++sales}`);
}

export { redisNow } from '../src/lib/redis-clock';

export interface TestOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly traceparent?: string;
}

/**
 * Plays intake and order-generation: a customers entry then an orders entry per order, in the v1 wire format.
 * An order id seen before (in this call or in `customerEntries`) is a producer's duplicate: a second orders
 * entry for the same customers entry. Returns the customers entry of every order id.
 */
export async function addOrders(
  redis: RedisConnection,
  sale: SaleKeys,
  orders: readonly TestOrder[],
  customerEntries = new Map<string, string>(),
): Promise<Map<string, string>> {
  const submittedAt = Date.now();
  const fresh = [...new Map(orders.filter((o) => !customerEntries.has(o.orderId)).map((o) => [o.orderId, o])).values()];
  const customers = redis.pipeline();
  for (const { orderId, customerId } of fresh) {
    customers.xadd(sale.customers, '*', 'v', '1', 'data', JSON.stringify({ orderId, customerId, submittedAt }));
  }
  const added = fresh.length > 0 ? ((await customers.exec()) ?? []) : [];
  added.forEach(([error, id], i) => {
    if (error) throw error;
    customerEntries.set((fresh[i] as TestOrder).orderId, id as string);
  });
  const generated = redis.pipeline();
  for (const { orderId, customerId, traceparent } of orders) {
    const data = {
      orderId,
      customerId,
      submittedAt,
      orderedAt: Date.now(),
      customerEntryId: customerEntries.get(orderId),
    };
    const trace = traceparent ? ['traceparent', traceparent] : [];
    generated.xadd(sale.orders, '*', 'v', '1', 'data', JSON.stringify(data), ...trace);
  }
  if (orders.length > 0) await generated.exec();
  return customerEntries;
}

/** True when every order entry was decided: the orders stream is empty and nothing is pending. */
export async function drained(redis: RedisConnection, sale: SaleKeys): Promise<boolean> {
  const [length, pending] = await Promise.all([
    redis.xlen(sale.orders),
    redis.xpending(sale.orders, 'fulfilment') as Promise<[number, ...unknown[]]>,
  ]);
  return length === 0 && pending[0] === 0;
}

/**
 * Runs one caller per connection until the orders stream is drained. A caller that finds nothing new reclaims
 * what others left pending, so orders read by a request whose reply was lost are decided too.
 */
export async function drain(
  connections: readonly Redis[],
  sale: SaleKeys,
  count: number,
  options: { timeoutMs?: number; onError?: (error: unknown) => void } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  await Promise.all(
    connections.map(async (redis, i) => {
      const caller = new OrderCaller(redis, sale, `consumer-${i}`, count);
      await caller.ensureGroup();
      for (;;) {
        if (Date.now() > deadline) throw new Error(`orders of ${sale.orders} not drained in time`);
        try {
          if ((await caller.poll()) > 0) continue;
          if ((await caller.reclaim(50)) === 0 && (await drained(redis, sale))) return;
        } catch (error) {
          if (!options.onError) throw error;
          options.onError(error);
        }
      }
    }),
  );
}

export interface StreamRecord {
  readonly id: string;
  readonly fields: Record<string, string>;
  readonly data: Record<string, unknown>;
}

async function records(redis: RedisConnection, stream: string): Promise<StreamRecord[]> {
  const entries = await redis.xrange(stream, '-', '+');
  return entries.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
    return { id, fields, data: JSON.parse(fields['data'] ?? 'null') };
  });
}

/** Everything the library writes for a sale. */
export async function snapshot(redis: RedisConnection, sale: SaleKeys) {
  const [completed, rejected, state, decisions, buyers, customers] = await Promise.all([
    records(redis, sale.completed),
    records(redis, sale.rejected),
    redis.hgetall(sale.state),
    redis.hgetall(sale.decisions),
    redis.hgetall(sale.buyers),
    redis.xlen(sale.customers),
  ]);
  return { completed, rejected, state, decisions, buyers, customers };
}

export type SaleSnapshot = Awaited<ReturnType<typeof snapshot>>;

/**
 * The invariants of a drained sale: every distinct order decided once, no customer twice, stock never negative,
 * counters equal to the records, each customer entry deleted.
 */
export function expectSaleInvariants(after: SaleSnapshot, orders: readonly TestOrder[], stock: number): void {
  const orderIds = new Set(orders.map((o) => o.orderId));
  const decided = [...after.completed, ...after.rejected].map((r) => r.data['orderId']);
  expect(decided).toHaveLength(orderIds.size);
  expect(new Set(decided)).toEqual(orderIds);
  expect(Object.keys(after.decisions)).toHaveLength(orderIds.size);

  const buyers = after.completed.map((r) => r.data['customerId']);
  expect(new Set(buyers).size).toBe(buyers.length);
  expect(after.completed.map((r) => r.data['unit']).sort((a, b) => Number(a) - Number(b))).toEqual(
    after.completed.map((_, i) => i + 1),
  );
  expect(after.completed.length).toBeLessThanOrEqual(stock);
  expect(Object.keys(after.buyers).sort()).toEqual([...buyers].sort());

  const reasons = (reason: string) => after.rejected.filter((r) => r.data['reason'] === reason).length;
  expect(after.state).toMatchObject({
    left: String(stock - after.completed.length),
    completed: String(after.completed.length),
    closed: String(reasons('closed')),
    duplicate: String(reasons('duplicate')),
    sold_out: String(reasons('sold_out')),
  });
  expect(after.customers).toBe(0);
}
