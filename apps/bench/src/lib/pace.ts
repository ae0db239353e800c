import { setTimeout as sleep } from 'node:timers/promises';

/** The span of one paced level, by the producer's clock (ms since the epoch). */
export interface PacedWindow {
  readonly from: number;
  readonly to: number;
}

/**
 * Writes `rate` orders a second for `seconds`, each stamped with the time it was due rather than the time it went
 * out: when the writer or Redis falls behind, the delay counts in the latency instead of hiding as a lower rate
 * (no coordinated omission). `write` gets every order due since its last call, in one go.
 */
export async function pace(
  rate: number,
  seconds: number,
  write: (dueAt: number[]) => Promise<void>,
): Promise<PacedWindow> {
  const total = Math.round(rate * seconds);
  const from = Date.now();
  let written = 0;
  while (written < total) {
    const due = Math.min(total, Math.floor(((Date.now() - from) * rate) / 1000));
    if (due > written) {
      const dueAt = Array.from({ length: due - written }, (_, k) => Math.floor(from + ((written + k) * 1000) / rate));
      written = due;
      await write(dueAt);
    } else {
      await sleep(1);
    }
  }
  return { from, to: from + seconds * 1000 };
}
