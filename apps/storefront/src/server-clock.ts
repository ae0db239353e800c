/**
 * The server's clock as seen from the page. The countdown to the opening must follow the store, not the browser,
 * whose clock may be minutes off. Every reading of the sale carries `at`, Redis's TIME when it was read, and arrives
 * after it: so `at - receivedAt` is a lower bound of the offset, tight when the reading was fresh and the network
 * quick. The best of the last few bounds is the estimate (a window, so a local clock that jumps is forgotten).
 */
export class ServerClock {
  private readonly bounds: number[] = [];

  constructor(
    private readonly local: () => number = Date.now,
    private readonly window = 8,
  ) {}

  /** A reading of the server's time `at`, received at local time `receivedAt`. */
  observe(at: number, receivedAt = this.local()): void {
    this.bounds.push(at - receivedAt);
    if (this.bounds.length > this.window) this.bounds.shift();
  }

  /** Server time minus local time, in ms (0 before any reading). */
  offset(): number {
    return this.bounds.length ? Math.max(...this.bounds) : 0;
  }

  /** The server's time now. */
  now(): number {
    return this.local() + this.offset();
  }
}
