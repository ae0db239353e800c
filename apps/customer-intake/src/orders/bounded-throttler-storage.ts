import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  hits: number;
  readonly endsAt: number;
}

/**
 * The throttlers' counts, one fixed window per key, at most `capacity` keys: when full, the oldest window goes (a
 * Map iterates in insertion order, and a new window is inserted anew), so a crowd of fresh customer ids cannot
 * grow it. Replaces @nestjs/throttler's default storage, which keeps every key until a sweep a minute later and
 * an array of hit times per key (a flood of fresh ids at 5,000/s held 300,000 of them), and costs no timer.
 */
export class BoundedThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly capacity: number) {}

  /** Keys counted now. */
  get size(): number {
    return this.windows.size;
  }

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return this.hit(key, ttl, limit, Date.now());
  }

  /** One more hit of `key` at `now`, in its window of `ttl` ms. */
  hit(key: string, ttl: number, limit: number, now: number): ThrottlerStorageRecord {
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      this.windows.delete(key);
      if (this.windows.size >= this.capacity) {
        const oldest = this.windows.keys().next();
        if (!oldest.done) this.windows.delete(oldest.value);
      }
      window = { hits: 0, endsAt: now + ttl };
      this.windows.set(key, window);
    }
    window.hits++;
    const timeToExpire = Math.ceil((window.endsAt - now) / 1000);
    const isBlocked = window.hits > limit;
    return { totalHits: window.hits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }
}
