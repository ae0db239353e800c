import type { Order } from '@popup-store/contracts';
import { orderToDecide, SaleGears, type OrderToDecide } from '@popup-store/gears-client';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { randomUUID } from 'node:crypto';
import { decodeEntry, entryFields } from '@popup-store/streams-transport';
import { customerContract, orderContract } from '@popup-store/contracts';

const CHUNK = 5000;

/** A sale open from the epoch on for a long while, so Redis's clock never closes it during a run. */
export async function openSale(redis: RedisConnection, sale: SaleKeys, stock: number): Promise<void> {
  await new SaleGears(redis, sale).configure({ stock, startsAt: 0, endsAt: 99_999_999_999_999 });
}

/** The key the original demo keeps its stock in, decremented once per completion with no check. */
export const demoStockKey = (sale: SaleKeys) => `${sale.tag}:product`;

/**
 * `count` customers on the customers stream, as customer-intake writes them, and the orders order-generation would
 * make of them (not written: each way of completing takes them its own way).
 */
export async function writeCustomers(redis: RedisConnection, sale: SaleKeys, count: number): Promise<Order[]> {
  const orders: Order[] = [];
  for (let from = 0; from < count; from += CHUNK) {
    const pipeline = redis.pipeline();
    const chunk: Omit<Order, 'customerEntryId'>[] = [];
    for (let i = from; i < Math.min(count, from + CHUNK); i++) {
      const now = Date.now();
      const order = { orderId: randomUUID(), customerId: `c${i}`, submittedAt: now, orderedAt: now };
      chunk.push(order);
      const customer = { orderId: order.orderId, customerId: order.customerId, submittedAt: now };
      pipeline.xadd(sale.customers, '*', ...entryFields(customerContract, JSON.stringify(customer)));
    }
    const ids = ((await pipeline.exec()) ?? []).map(([error, id]) => {
      if (error) throw error;
      return id as string;
    });
    chunk.forEach((order, k) => orders.push({ ...order, customerEntryId: ids[k] as string }));
  }
  return orders;
}

/** Orders on the orders stream, as order-generation writes them, with the fulfilment group in place. */
export async function writeOrders(redis: RedisConnection, sale: SaleKeys, orders: readonly Order[]): Promise<void> {
  await redis.xgroup('CREATE', sale.orders, ConsumerGroup.fulfilment, '0', 'MKSTREAM');
  for (let from = 0; from < orders.length; from += CHUNK) {
    const pipeline = redis.pipeline();
    for (const order of orders.slice(from, from + CHUNK))
      pipeline.xadd(sale.orders, '*', ...entryFields(orderContract, JSON.stringify(order)));
    await pipeline.exec();
  }
}

/** Every order waiting on the orders stream, read once by the fulfilment group as the trigger would. */
export async function readOrders(redis: RedisConnection, sale: SaleKeys, count: number): Promise<OrderToDecide[]> {
  type Entry = [string, string[]];
  const read = (await redis.xreadgroup(
    'GROUP',
    ConsumerGroup.fulfilment,
    'bench',
    'COUNT',
    count,
    'STREAMS',
    sale.orders,
    '>',
  )) as [string, Entry[]][] | null;
  return (read?.[0]?.[1] ?? []).map(([id, fields]) => {
    const decoded = decodeEntry(orderContract, fields);
    if (!decoded.ok) throw new Error(`order entry ${id}: ${decoded.error}`);
    return orderToDecide(id, decoded.data, decoded.carrier);
  });
}
