import type { Order } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { completeOrder } from './demo-completer';

/** The BullMQ queue the orders go to as jobs. */
export const BULLMQ_QUEUE = 'bench-orders';
/** The concurrency the issue sets for the BullMQ baseline. */
const CONCURRENCY = 50;

/** BullMQ's own connections: its blocking commands need `maxRetriesPerRequest: null`. */
export function bullmqConnection(url: string): ConnectionOptions {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port), maxRetriesPerRequest: null };
}

/**
 * Orders as BullMQ jobs, added in bulk. Completed jobs are removed, as a queue that must not grow without bound
 * is run, so BullMQ is measured in its usual production setting.
 */
export async function addJobs(queue: Queue, orders: readonly Order[]): Promise<void> {
  for (let from = 0; from < orders.length; from += 1000) {
    await queue.addBulk(
      orders.slice(from, from + 1000).map((order) => ({
        name: 'order',
        data: order,
        opts: { removeOnComplete: true, removeOnFail: true },
      })),
    );
  }
}

export function ordersQueue(url: string): Queue {
  return new Queue(BULLMQ_QUEUE, { connection: bullmqConnection(url) });
}

/**
 * A worker of concurrency 50 completing each job as the original demo completes an order (`redis` for those calls).
 * It starts when the caller runs it, so a timed run starts with a connected worker.
 */
export function bullmqWorker(url: string, redis: Redis, sale: SaleKeys, onCompleted?: () => void): Worker<Order> {
  const worker = new Worker<Order>(BULLMQ_QUEUE, (job) => completeOrder(redis, sale, job.data), {
    connection: bullmqConnection(url),
    concurrency: CONCURRENCY,
    autorun: false,
  });
  if (onCompleted) worker.on('completed', onCompleted);
  return worker;
}
