import { z } from 'zod';
import { defineContract, field, type ContractPayload } from './contract';

const count = z.int().min(0);
const ms = z.number().min(0);
const percentiles = z.strictObject({ p50: ms, p95: ms, p99: ms, max: ms, count });

/**
 * The final report of a sale, computed by fulfilment-auditing from what Redis holds (not from any service's
 * counters) and stored as JSON under the sale's `report` key; `npm start` prints it and writes it with `--report`.
 */
export const saleReportContract = defineContract(
  'sale-report',
  1,
  z.strictObject({
    saleId: z.string(),
    stock: count,
    left: z.int(),
    /** Completions recorded in the completed stream. */
    sold: count,
    /** Units sold beyond the stock; must be 0. */
    oversold: count,
    /** Customers holding more than one unit, and unit numbers given twice; must be 0. */
    duplicates: count,
    /** Orders accepted (written to the customers stream) and never decided nor waiting; must be 0. */
    lost: count,
    /** Completions outside the sale's window; must be 0. */
    outsideWindow: count,
    /**
     * Customer entries accepted, orders decided, entries still waiting, and entries refused as malformed
     * (dead-lettered) when the report was made: accepted = decided + replayed + pending + deadLettered + lost.
     */
    accepted: count,
    decided: count,
    pending: count,
    deadLettered: count,
    /**
     * Accepted entries that were second entries of an order decided before (an intake retried a write whose WAIT
     * failed in a failover), deleted by the decision: counted apart, they are not lost. Absent in earlier reports.
     */
    replayed: count.default(0),
    rejected: z.strictObject({ closed: count, duplicate: count, sold_out: count }),
    /** Submission → completion, and submission → any decision, in ms. */
    latencyMs: z.strictObject({ completion: percentiles, decision: percentiles }),
    startsAt: field.epochMs.nullable(),
    endsAt: field.epochMs.nullable(),
    soldOutAt: field.epochMs.nullable(),
    /** From the window's start (or the first order, if later) to the last unit; null when stock was left. */
    timeToSellOutMs: ms.nullable(),
    /** Every invariant held. */
    ok: z.boolean(),
    violations: z.array(z.string().max(512)).max(100),
    reportedAt: field.epochMs,
  }),
);

export type SaleReport = ContractPayload<typeof saleReportContract>;
