import { orderToDecide, SaleGears } from '@popup-store/gears-client';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import type { SeriesBackend } from '../series/series-writer';
import { drainStream, entryFields } from '@popup-store/streams-transport';
import { customerContract, orderContract } from '@popup-store/contracts';

/** Redis TIME in ms: the clock the gears decide by. */
export async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Opens a sale of `stock` units, started a second ago and ending in a minute. */
export async function openSale(redis: Redis, sale: SaleKeys, stock: number): Promise<SaleGears> {
  const gears = new SaleGears(redis, sale);
  const now = await redisNow(redis);
  await gears.configure({ stock, startsAt: now - 1000, endsAt: now + 60_000 });
  return gears;
}

/**
 * Plays intake and order-generation: a customers entry, then an orders entry in the v1 wire format, per order,
 * submitted `ageMs` ago.
 */
export async function addOrders(
  redis: Redis,
  sale: SaleKeys,
  orders: readonly [orderId: string, customerId: string][],
  ageMs = 0,
) {
  const submittedAt = Date.now() - ageMs;
  for (const [orderId, customerId] of orders) {
    const customerEntryId = await redis.xadd(
      sale.customers,
      '*',
      ...entryFields(customerContract, JSON.stringify({ orderId, customerId, submittedAt })),
    );
    const order = { orderId, customerId, submittedAt, orderedAt: Date.now(), customerEntryId };
    await redis.xadd(sale.orders, '*', ...entryFields(orderContract, JSON.stringify(order)));
  }
}

/** Decides every order queued so far, as the completion trigger does. */
export async function decideAll(redis: Redis, sale: SaleKeys): Promise<void> {
  const gears = new SaleGears(redis, sale);
  await drainStream(
    { redis, stream: sale.orders, contract: orderContract, group: ConsumerGroup.fulfilment, acknowledgedBy: 'handler' },
    (orders) => gears.decide(orders.map((order) => orderToDecide(order.id, order.data, order.carrier))),
  );
}

/**
 * A whole small sale: 3 units; 4 customers order (one twice, one after the stock is gone), one malformed order is
 * dead-lettered, and one more order comes after the operator closed the sale. Ends with 3 completed and one
 * rejection of each reason, orders waiting in none of the streams.
 */
export async function playSale(redis: Redis, sale: SaleKeys): Promise<void> {
  const gears = await openSale(redis, sale, 3);
  await addOrders(
    redis,
    sale,
    [
      ['o1', 'ann'],
      ['o2', 'bob'],
      ['o3', 'ann'],
      ['o4', 'cy'],
      ['o5', 'dee'],
    ],
    40,
  );
  await redis.xadd(sale.orders, '*', ...entryFields(orderContract, '{"orderId":"broken"}'));
  await decideAll(redis, sale);
  await gears.setState('closed');
  await addOrders(redis, sale, [['o6', 'eve']]);
  await decideAll(redis, sale);
}

/** The latest value of a series, whichever backend holds it; undefined while it has no point. */
export async function lastValue(redis: Redis, key: string, backend: SeriesBackend): Promise<number | undefined> {
  if (!(await redis.exists(key))) return undefined;
  if (backend === 'timeseries') {
    const [, value] = (await redis.call('TS.GET', key)) as [number, string];
    return Number(value);
  }
  const [entry] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  const fields = entry?.[1] ?? [];
  return Number(fields[fields.indexOf('value') + 1]);
}

/** How many points a series holds. */
export async function pointCount(redis: Redis, key: string, backend: SeriesBackend): Promise<number> {
  if (!(await redis.exists(key))) return 0;
  if (backend === 'timeseries') return ((await redis.call('TS.RANGE', key, '-', '+')) as unknown[]).length;
  return redis.xlen(key);
}
