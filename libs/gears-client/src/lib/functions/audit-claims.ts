import type { GearsFunction } from '../gears-function';

/** A completion as the auditor read it: its entry in the completed stream, and what it records. */
export interface CompletionToClaim {
  readonly entryId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly unit: number;
}

/**
 * What entering one completion did: `absent` when its entry is not in the completed stream where the call ran
 * (nothing claimed), else whether its customer and its unit were claimed by it now (false: claimed before, by this
 * order or another).
 */
export type AuditClaim = { readonly absent: true } | { readonly absent: false; readonly buyer: boolean; readonly unit: boolean };

/**
 * `popup_audit_claims`: enters completions in the auditor's ledger (audit:buyers, audit:units), each claim made
 * only where its completion is, so a claim resent to a new master after a failover cannot outlive the completion.
 */
export const auditClaimsFunction: GearsFunction<readonly CompletionToClaim[], AuditClaim[]> = {
  name: 'popup_audit_claims',
  readOnly: false,
  keys: (sale) => [sale.completed, sale.auditBuyers, sale.auditUnits],
  args: (completions) =>
    completions.flatMap(({ entryId, orderId, customerId, unit }) => [entryId, orderId, customerId, String(unit)]),
  parse: (reply) =>
    (reply as number[]).map((claimed) =>
      claimed < 0 ? { absent: true } : { absent: false, buyer: (claimed & 1) === 1, unit: (claimed & 2) === 2 },
    ),
};
