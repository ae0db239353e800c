/** What the limiter says about one more order from an address. */
export type AddressVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

interface Window {
  readonly endsAt: number;
  readonly customers: Set<string>;
}

/**
 * Distinct customers per client address per fixed window. Memory is bounded twice: an address holds at most
 * `limit` customers (a new one past the limit is refused, not stored), and at most `addresses` addresses are
 * tracked (when full, the oldest window goes first; it is the nearest to its end). So neither inventing ids
 * nor spraying addresses grows it. Hand-written: rate limiters (@nestjs/throttler, @fastify/rate-limit) count
 * requests per key; none counts distinct values per key.
 */
export class CustomersPerAddress {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly addresses: number,
  ) {}

  /** Tracked addresses, and customers over all of them. */
  get size(): { addresses: number; customers: number } {
    let customers = 0;
    for (const window of this.windows.values()) customers += window.customers.size;
    return { addresses: this.windows.size, customers };
  }

  check(address: string, customer: string, now = Date.now()): AddressVerdict {
    let window = this.windows.get(address);
    if (window && window.endsAt <= now) {
      this.windows.delete(address);
      window = undefined;
    }
    if (!window) {
      if (this.windows.size >= this.addresses) {
        const oldest = this.windows.keys().next();
        if (!oldest.done) this.windows.delete(oldest.value);
      }
      window = { endsAt: now + this.windowMs, customers: new Set() };
      this.windows.set(address, window);
    }
    if (window.customers.has(customer)) return { allowed: true };
    if (window.customers.size >= this.limit) return { allowed: false, retryAfterMs: window.endsAt - now };
    window.customers.add(customer);
    return { allowed: true };
  }
}
