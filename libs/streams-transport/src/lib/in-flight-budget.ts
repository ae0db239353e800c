/**
 * Bounds how many entries a consumer holds at once (read or claimed, not yet acked or left pending): every read
 * asks for at most what is free, so a slow handler slows reading instead of filling memory.
 */
export class InFlightBudget {
  private used = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Takes up to `max` slots now; 0 when none is free. */
  tryTake(max: number): number {
    const taken = Math.min(max, this.limit - this.used);
    if (taken <= 0) return 0;
    this.used += taken;
    return taken;
  }

  /** Takes up to `max` slots, waiting for one to be free; 0 once the signal aborts. */
  async take(max: number, signal: AbortSignal): Promise<number> {
    while (!signal.aborted) {
      const taken = this.tryTake(max);
      if (taken > 0) return taken;
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.push(wake);
        signal.addEventListener('abort', wake);
      });
    }
    return 0;
  }

  release(count: number): void {
    if (count <= 0) return;
    this.used -= count;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
