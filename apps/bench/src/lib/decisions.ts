import { completionContract, rejectionContract } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { readPayloads } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import type { PacedWindow } from './pace';
import { percentiles, type Percentiles } from '@popup-store/stats';

/** When an order was submitted and when it was decided (ms since the epoch). */
export interface Timing {
  readonly submittedAt: number;
  readonly decidedAt: number;
}

/**
 * The timing of every decision, from the decision records themselves (completed: `completedAt`, rejected:
 * `decidedAt`) rather than from a service's counters. Submission times come from the writer's clock and decision
 * times from Redis's, on the same machine.
 */
export async function decisionTimings(redis: Redis, sale: SaleKeys): Promise<Timing[]> {
  const timings: Timing[] = [];
  for (const { submittedAt, completedAt } of await readPayloads(redis, sale.completed, completionContract))
    timings.push({ submittedAt, decidedAt: completedAt });
  for (const { submittedAt, decidedAt } of await readPayloads(redis, sale.rejected, rejectionContract))
    timings.push({ submittedAt, decidedAt });
  return timings;
}

/** Submission → decision percentiles, in ms, of the orders submitted inside `window` (all when omitted). */
export function latency(timings: readonly Timing[], window?: PacedWindow): Percentiles {
  const inside = window ? timings.filter((t) => t.submittedAt >= window.from && t.submittedAt < window.to) : timings;
  return percentiles(inside.map((t) => Math.max(0, t.decidedAt - t.submittedAt)));
}

/** The last decision's time. */
export function lastDecisionAt(timings: readonly Timing[]): number {
  return timings.reduce((last, t) => Math.max(last, t.decidedAt), 0);
}
