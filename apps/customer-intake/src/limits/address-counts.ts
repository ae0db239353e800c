/** Why a place was not given: the bound in total, or the one address's. */
export type Full = 'total' | 'address';

/**
 * Places held at once (connections, event streams), bounded in total and per address. Memory is bounded by the
 * total: an address is tracked only while it holds a place. Hand-written: rate limiters (@nestjs/throttler,
 * @fastify/rate-limit) count requests per window, and none counts what is held open now.
 */
export class AddressCounts {
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
  ) {}

  /** Places held, and addresses holding them. */
  get size(): { total: number; addresses: number } {
    return { total: this.total, addresses: this.held.size };
  }

  /**
   * A place for `address`, as a function that gives it back (once, however often it is called), or why not.
   * `perAddress: false` counts it in the total only (a trusted proxy speaks for many clients).
   */
  take(address: string, perAddress = true): (() => void) | Full {
    if (this.total >= this.maxTotal) return 'total';
    const count = this.held.get(address) ?? 0;
    if (perAddress && count >= this.maxPerAddress) return 'address';
    this.total++;
    this.held.set(address, count + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.total--;
      const left = (this.held.get(address) ?? 1) - 1;
      if (left > 0) this.held.set(address, left);
      else this.held.delete(address);
    };
  }
}
