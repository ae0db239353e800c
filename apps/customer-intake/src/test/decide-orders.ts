import { customerContract, orderContract } from '@popup-store/contracts';
import { orderToDecide, SaleGears } from '@popup-store/gears-client';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import { drainStream, encodeEntry, readRecords } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';

/**
 * Stands in for order-generation and the completion trigger in intake's specs: each customer entry becomes an
 * order as order-generation writes it, then every order is decided through the gears, as the trigger decides them.
 */
export async function decideEverything(redis: Redis, sale: SaleKeys): Promise<void> {
  for await (const customer of readRecords(redis, sale.customers, customerContract)) {
    if (!customer.ok) continue;
    const order = { ...customer.data, orderedAt: Date.now(), customerEntryId: customer.id };
    await redis.xadd(sale.orders, '*', ...encodeEntry(orderContract, order));
  }
  await decideOrders(redis, sale);
}

/** Decides every order on the orders stream, as the completion trigger does; how many were handled. */
export async function decideOrders(redis: Redis, sale: SaleKeys): Promise<number> {
  const gears = new SaleGears(redis, sale);
  const drained = await drainStream(
    { redis, stream: sale.orders, contract: orderContract, group: ConsumerGroup.fulfilment, acknowledgedBy: 'handler' },
    (orders) => gears.decide(orders.map((entry) => orderToDecide(entry.id, entry.data, entry.carrier))),
  );
  return drained.handled;
}
