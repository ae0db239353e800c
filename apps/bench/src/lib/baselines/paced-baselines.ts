import type { Order } from '@popup-store/contracts';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Figures } from '../figures';
import { pace, type PacedWindow } from '../pace';
import { percentiles } from '@popup-store/stats';
import { addJobs, ordersQueue } from './bullmq-completer';
import { entryFields, readPayloads } from '@popup-store/streams-transport';
import { completionContract, orderContract } from '@popup-store/contracts';

export type BaselineKind = 'demo' | 'bullmq';

export interface PacedBaselinePlan {
  readonly rates: readonly number[];
  readonly seconds: number;
  /** The bench's own built entry point: the completer runs as its own process, as each service does. */
  readonly benchMain: string;
  readonly redisUrl: string;
}

/** A level whose median is past this is saturated: its queue only grows, so higher levels are not played. */
const SATURATED_MS = 1000;
const DRAIN_STALL_MS = 30_000;
/** The demo deletes the customer's entry of each order; paced baselines write orders only, so this id is none. */
const NO_CUSTOMER_ENTRY = '0-1';

/**
 * Scenario 4 for a baseline: orders written at each rate straight to its queue (the orders stream for the demo,
 * jobs for BullMQ) while its completer runs as a separate process; latency from each order's due time to its
 * completion record. Figures: `p50@<rate>`, `p99@<rate>`; a level above a saturated one is left out.
 */
export async function pacedBaseline(
  redis: Redis,
  sale: SaleKeys,
  kind: BaselineKind,
  plan: PacedBaselinePlan,
): Promise<Figures> {
  await redis.flushall();
  await redis.xgroup('CREATE', sale.orders, ConsumerGroup.fulfilment, '0', 'MKSTREAM');
  const queue = kind === 'bullmq' ? ordersQueue(plan.redisUrl) : undefined;
  const worker = await startBaselineWorker(plan, kind, sale);
  const figures: Figures = {};
  try {
    let written = 0;
    for (const rate of plan.rates) {
      const window = await pace(rate, plan.seconds, async (dueAt) => {
        const orders: Order[] = dueAt.map((at) => ({
          orderId: randomUUID(),
          customerId: `c${written++}`,
          submittedAt: at,
          orderedAt: at,
          customerEntryId: NO_CUSTOMER_ENTRY,
        }));
        if (queue) await addJobs(queue, orders);
        else {
          const pipeline = redis.pipeline();
          for (const order of orders)
            pipeline.xadd(sale.orders, '*', ...entryFields(orderContract, JSON.stringify(order)));
          await pipeline.exec();
        }
      });
      await completed(redis, sale, written, worker);
      const { p50, p99 } = await completionLatency(redis, sale, window);
      figures[`p50@${rate}`] = p50;
      figures[`p99@${rate}`] = p99;
      if (p50 > SATURATED_MS) break;
    }
  } finally {
    worker.kill('SIGTERM');
    await once(worker, 'exit');
    await queue?.close();
  }
  return figures;
}

/** Starts `main.js baseline-worker` and waits for it to say it listens. */
async function startBaselineWorker(plan: PacedBaselinePlan, kind: BaselineKind, sale: SaleKeys): Promise<ChildProcess> {
  const child = spawn(process.execPath, [plan.benchMain, 'baseline-worker', kind, plan.redisUrl, sale.saleId], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes('ready')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the ${kind} worker did not start: ${output}`);
    await sleep(20);
  }
  return child;
}

async function completed(redis: Redis, sale: SaleKeys, orders: number, worker: ChildProcess): Promise<void> {
  let seen = -1;
  let movedAt = Date.now();
  for (;;) {
    if (worker.exitCode !== null) throw new Error(`the baseline worker exited (code ${worker.exitCode})`);
    const count = await redis.xlen(sale.completed);
    if (count >= orders) return;
    if (count > seen) {
      seen = count;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > DRAIN_STALL_MS) {
      throw new Error(`baseline: ${count} of ${orders} orders completed, none more for ${DRAIN_STALL_MS / 1000} s`);
    }
    await sleep(20);
  }
}

async function completionLatency(redis: Redis, sale: SaleKeys, window: PacedWindow) {
  const latencies: number[] = [];
  for (const { submittedAt, completedAt } of await readPayloads(redis, sale.completed, completionContract)) {
    if (submittedAt >= window.from && submittedAt < window.to) latencies.push(Math.max(0, completedAt - submittedAt));
  }
  return percentiles(latencies);
}
