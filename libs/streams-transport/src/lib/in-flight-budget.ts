/**
 * Bounds how many entries a consumer holds at once (read or claimed, not yet acked or left pending): a read asks
 * for at most the free slots, so a slow handler slows reading instead of filling memory. Slots are counted when
 * entries arrive, not reserved while a read blocks, so an idle stream never holds slots another stream or the
 * reclaimer needs; the price is that reads of several streams issued at once may overshoot by a batch each.
 */
export class InFlightBudget {
  private used = 0;
  private waiters = new Set<() => void>();

  constructor(readonly limit: number) {}

  get free(): number {
    return Math.max(0, this.limit - this.used);
  }

  hold(count: number): void {
    this.used += count;
  }

  release(count: number): void {
    this.used -= count;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves when slots are released, or at once if the signal aborts. */
  freed(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake);
    });
  }
}
