import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { commandStatsPerOrder, redisCpuSeconds, servicesCpuSeconds } from './cpu';
import { decisionTimings, lastDecisionAt, latency } from './decisions';
import type { Figures } from './figures';
import { writeCustomers } from './orders';
import { pace } from './pace';
import { closeAndCheck, decided, withServices, type PipelineContext } from './sale-run';
import { SERVICES, type SaleKeys } from '@popup-store/keys';
import type { RunningServices } from '@popup-store/service-runner';
import { entryFields } from '@popup-store/streams-transport';
import { customerContract } from '@popup-store/contracts';

export interface StreamPlan {
  readonly customers: number;
  readonly stock: number;
}

/** CPU µs per order of Redis, each service and this process (the writer), between two snapshots. */
async function cpuSnapshot(redis: Redis, services: RunningServices): Promise<Figures> {
  const usage = process.cpuUsage();
  return {
    redis: await redisCpuSeconds(redis),
    ...servicesCpuSeconds(services),
    writer: (usage.user + usage.system) / 1e6,
  };
}

function cpuPerOrder(before: Figures, after: Figures, orders: number): Figures {
  return Object.fromEntries(
    Object.keys(before).map((name) => [
      `cpuMicrosPerOrder:${name}`,
      (((after[name] ?? 0) - (before[name] ?? 0)) * 1e6) / orders,
    ]),
  );
}

/**
 * Scenario 2, the whole pipeline in stream mode: `customers` customer entries written as fast as one pipelined
 * writer goes, straight into the customers stream, with the four services running. Figures: decisions/s from the
 * first write to the last decision, time to sell out, submission → decision latency, CPU per order of each process,
 * and (in the report only) Redis's time and calls per command per order.
 */
export async function streamFlood(context: PipelineContext, sale: SaleKeys, plan: StreamPlan): Promise<Figures> {
  const { redis } = context;
  return withServices(context, sale, plan.stock, async (services) => {
    await redis.config('RESETSTAT');
    const before = await cpuSnapshot(redis, services);
    const firstAt = Date.now();
    await writeCustomers(redis, sale, plan.customers);
    await decided(redis, sale, plan.customers, services);
    const after = await cpuSnapshot(redis, services);
    const commands = await commandStatsPerOrder(redis, plan.customers);
    await closeAndCheck(redis, sale, plan.customers, 'scenario 2 (stream mode)', services);
    const soldOutAt = Number(await redis.hget(sale.state, 'soldOutAt'));
    const timings = await decisionTimings(redis, sale);
    const { p50, p95, p99, max } = latency(timings);
    return {
      decisionsPerSecond: plan.customers / ((lastDecisionAt(timings) - firstAt) / 1000),
      timeToSellOutMs: soldOutAt - firstAt,
      p50,
      p95,
      p99,
      max,
      ...cpuPerOrder(before, after, plan.customers),
      ...commands,
    };
  });
}

export interface PacedPlan {
  /** Offered orders per second, one level after the other. */
  readonly rates: readonly number[];
  readonly seconds: number;
}

/**
 * Scenario 4, paced load through the whole pipeline: each level writes customers at its rate, stamped with the time
 * each was due, and the backlog drains before the next level. The stock is every order offered, so each level
 * does the full completion path. Figures: `p50@<rate>`, `p99@<rate>` in ms.
 */
export async function pacedPipeline(context: PipelineContext, sale: SaleKeys, plan: PacedPlan): Promise<Figures> {
  const { redis } = context;
  const total = plan.rates.reduce((sum, rate) => sum + Math.round(rate * plan.seconds), 0);
  return withServices(context, sale, total, async (services) => {
    const windows = [];
    let written = 0;
    for (const rate of plan.rates) {
      const window = await pace(rate, plan.seconds, async (dueAt) => {
        const pipeline = redis.pipeline();
        for (const submittedAt of dueAt) {
          const customer = { orderId: randomUUID(), customerId: `c${written++}`, submittedAt };
          pipeline.xadd(sale.customers, '*', ...entryFields(customerContract, JSON.stringify(customer)));
        }
        await pipeline.exec();
      });
      windows.push({ rate, window });
      await decided(redis, sale, written, services);
    }
    await closeAndCheck(redis, sale, total, 'scenario 4 (paced)', services);
    const timings = await decisionTimings(redis, sale);
    return Object.fromEntries(
      windows.flatMap(({ rate, window }) => {
        const { p50, p99 } = latency(timings, window);
        return [
          [`p50@${rate}`, p50],
          [`p99@${rate}`, p99],
        ];
      }),
    );
  });
}

/** The figure names of {@link streamFlood}'s CPU per order. */
export const CPU_FIGURES = ['redis', ...SERVICES, 'writer'].map((name) => `cpuMicrosPerOrder:${name}`);
