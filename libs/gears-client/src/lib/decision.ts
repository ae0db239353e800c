import type { SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from './gears-function';

export type RejectionReason = 'closed' | 'duplicate' | 'sold_out';

/** How an order ended; `at` is the decision time (Redis TIME, ms since the epoch). */
export type Decision =
  | { readonly outcome: 'completed'; readonly unit: number; readonly at: number }
  | { readonly outcome: 'rejected'; readonly reason: RejectionReason; readonly at: number };

const DECISION = /^(?:completed:(\d+)|rejected:(closed|duplicate|sold_out)):(\d+)$/;

/** Reads a decision as the library stores it: `completed:<unit>:<at>` or `rejected:<reason>:<at>`. */
export function parseDecision(text: string): Decision {
  const match = DECISION.exec(text);
  if (!match) throw new Error(`not a popup decision: ${JSON.stringify(text)}`);
  const [, unit, reason, at] = match;
  return unit !== undefined
    ? { outcome: 'completed', unit: Number(unit), at: Number(at) }
    : { outcome: 'rejected', reason: reason as RejectionReason, at: Number(at) };
}

/**
 * The decision on one order, or null while it is undecided (or unknown): one HGET, for `GET /api/orders/:id`; of
 * the live run (a sale's keys) or of an earlier one (its `runArchive`).
 */
export async function orderDecision(
  redis: RedisConnection,
  sale: Pick<SaleKeys, 'decisions'>,
  orderId: string,
): Promise<Decision | null> {
  const text = await redis.hget(sale.decisions, orderId);
  return text === null ? null : parseDecision(text);
}
