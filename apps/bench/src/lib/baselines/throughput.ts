import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { redisCpuSeconds } from '../cpu';
import type { Figures } from '../figures';
import { demoStockKey, writeCustomers, writeOrders } from '../orders';
import { addJobs, bullmqWorker, ordersQueue } from './bullmq-completer';
import { demoComplete } from './demo-completer';

export interface BaselinePlan {
  /** Orders waiting before the clock starts. */
  readonly orders: number;
  /** The stock the baseline starts with: it sells every order anyway, which is how far it oversells. */
  readonly units: number;
}

/** Times `work` and Redis's CPU over it; the baseline must then have completed every order, as it never refuses one. */
async function timed(
  redis: Redis,
  sale: SaleKeys,
  plan: BaselinePlan,
  name: string,
  work: () => Promise<void>,
): Promise<Figures> {
  const cpuBefore = await redisCpuSeconds(redis);
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await redisCpuSeconds(redis)) - cpuBefore;
  const completed = await redis.xlen(sale.completed);
  if (completed !== plan.orders) throw new Error(`${name}: ${completed} of ${plan.orders} orders completed`);
  return {
    decisionsPerSecond: plan.orders / seconds,
    redisCpuMicrosPerDecision: (cpu * 1e6) / plan.orders,
    stockLeft: Number(await redis.get(demoStockKey(sale))),
  };
}

/** The original demo's way over pre-filled orders: 3 per read, three round trips per order, no checks. */
export async function demoThroughput(redis: Redis, sale: SaleKeys, plan: BaselinePlan): Promise<Figures> {
  await redis.flushall();
  await writeOrders(redis, sale, await writeCustomers(redis, sale, plan.orders));
  await redis.set(demoStockKey(sale), plan.units);
  return timed(redis, sale, plan, 'original demo', () => demoComplete(redis, sale));
}

/** BullMQ over pre-filled jobs: a worker of concurrency 50 doing the demo's completion per job. */
export async function bullmqThroughput(
  url: string,
  redis: Redis,
  sale: SaleKeys,
  plan: BaselinePlan,
): Promise<Figures> {
  await redis.flushall();
  const orders = await writeCustomers(redis, sale, plan.orders);
  const queue = ordersQueue(url);
  await addJobs(queue, orders);
  await redis.set(demoStockKey(sale), plan.units);
  let completed = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const worker = bullmqWorker(url, redis, sale, () => ++completed === plan.orders && allDone());
  try {
    await worker.waitUntilReady();
    return await timed(redis, sale, plan, 'BullMQ', async () => {
      worker.run().catch(() => undefined);
      await done;
    });
  } finally {
    await worker.close();
    await queue.close();
  }
}

/** requests/s of `redis-benchmark` pipelining 100 XADDs at a time: what Redis appends to a stream at most here. */
export function redisBenchmarkXadd(port: number, requests: number): Promise<Figures> {
  const args = ['-p', String(port), '-n', String(requests), '-P', '100', '-q', 'XADD', 's', '*', 'f', 'v'];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => reject(new Error(`cannot run redis-benchmark: ${error.message}`)));
    child.once('close', () => {
      const rate = /([\d.]+) requests per second/.exec(output)?.[1];
      if (rate) resolve({ xaddPerSecond: Number(rate) });
      else reject(new Error(`no rate in redis-benchmark's output: ${output.trim()}`));
    });
  });
}
