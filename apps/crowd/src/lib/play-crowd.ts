import { setTimeout as sleep } from 'node:timers/promises';
import type { Arrival } from './arrivals';
import { Tally } from './tally';

/** Sends one order; resolves when that person is done (answered, or gave up). */
export type Shopper = (customerId: string, scheduledAt: number, tally: Tally) => Promise<void>;

export interface CrowdProgress {
  (done: number, total: number, tally: Tally): void;
}

/**
 * Plays the schedule as an open model: each order leaves at its planned time whether or not earlier ones were
 * answered, and its latency counts from that planned time, so a slow server cannot hide its queue
 * (no coordinated omission).
 */
export async function playCrowd(
  arrivals: Arrival[],
  shop: Shopper,
  progress: CrowdProgress = () => undefined,
): Promise<{ tally: Tally; durationMs: number }> {
  const tally = new Tally();
  const inflight: Promise<void>[] = [];
  let done = 0;
  const start = performance.now();
  let next = 0;
  let lastReport = 0;
  while (next < arrivals.length) {
    const now = performance.now() - start;
    while (next < arrivals.length && arrivals[next].at <= now) {
      const arrival = arrivals[next++];
      inflight.push(shop(arrival.customerId, start + arrival.at, tally).finally(() => done++));
    }
    if (now - lastReport > 100) {
      progress(done, arrivals.length, tally);
      lastReport = now;
    }
    if (next < arrivals.length) await sleep(Math.min(5, Math.max(0, arrivals[next].at - now)));
  }
  // One timer for progress while the last answers come in: racing every in-flight order would attach a
  // reaction to each of them on every turn, quadratic in a crowd of tens of thousands.
  const reporting = setInterval(() => progress(done, arrivals.length, tally), 100);
  await Promise.all(inflight);
  clearInterval(reporting);
  progress(done, arrivals.length, tally);
  return { tally, durationMs: performance.now() - start };
}
