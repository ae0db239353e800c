import type { Order } from '@popup-store/contracts';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { demoStockKey } from '../orders';
import { entryFields } from '@popup-store/streams-transport';
import { completionContract } from '@popup-store/contracts';

type Entry = [id: string, fields: string[]];

/** How the original demo read: 3 orders per XREADGROUP. */
const DEMO_COUNT = 3;

/**
 * The original demo's completion: reads 3 orders at a time and completes each with an XADD to completed, an XDEL of
 * the customer's entry and a DECR of the stock, each awaited, with no stock check and no one-per-customer check.
 * With `blockMs` it waits for orders until `stop` aborts; without, it returns once the stream is empty.
 */
export async function demoComplete(redis: Redis, sale: SaleKeys, blockMs?: number, stop?: AbortSignal): Promise<void> {
  const block = blockMs === undefined ? [] : ['BLOCK', blockMs];
  while (!stop?.aborted) {
    const read = (await redis.call(
      'XREADGROUP',
      'GROUP',
      ConsumerGroup.fulfilment,
      'demo',
      'COUNT',
      DEMO_COUNT,
      ...block,
      'STREAMS',
      sale.orders,
      '>',
    )) as [string, Entry[]][] | null;
    const entries = read?.[0]?.[1] ?? [];
    if (entries.length === 0 && blockMs === undefined) return;
    for (const [, fields] of entries) await completeOrder(redis, sale, JSON.parse(fields[3] as string) as Order);
    if (entries.length) await redis.xack(sale.orders, ConsumerGroup.fulfilment, ...entries.map(([id]) => id));
  }
}

/** One completion the original's way, three round trips; BullMQ's worker runs the same per job. */
export async function completeOrder(redis: Redis, sale: SaleKeys, order: Order): Promise<void> {
  await redis.xadd(
    sale.completed,
    '*',
    ...entryFields(completionContract, JSON.stringify({ ...order, completedAt: Date.now() })),
  );
  await redis.xdel(sale.customers, order.customerEntryId);
  await redis.decr(demoStockKey(sale));
}
