import { createHash } from 'node:crypto';

/** A customer a token was verified for, and until when the token holds. */
export interface VerifiedCustomer {
  readonly sub: string;
  /** The token's `exp`, in ms since the epoch. */
  readonly expiresAt: number;
}

/**
 * Tokens already verified, until their `exp`, so a customer's retries and polls cost a map lookup instead of a
 * signature check. At most `capacity` entries: when full, the oldest entry goes (a Map iterates in insertion
 * order), so memory stays bounded whatever a crowd of valid tokens does. A token is kept as its SHA-256, not as
 * itself: 43 characters instead of the several hundred of a JWT, for a microsecond per lookup. Hand-written: the rule is four lines,
 * and a general LRU package would add a dependency for less (it would refresh on every hit, which is not wanted:
 * a token's life is its `exp`, not its use).
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedCustomer>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The customer of a token verified before and not expired at `now`. */
  get(token: string, now: number): VerifiedCustomer | undefined {
    const key = digest(token);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry;
    this.entries.delete(key);
    return undefined;
  }

  set(token: string, customer: VerifiedCustomer): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(digest(token), customer);
  }
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');
