import type { SaleReport } from '@popup-store/contracts';
import type { CrowdFigures } from './crowd';

/** What a sale came to: the auditor's report, the client's check of its tickets, the crowd, the services. */
export interface SaleOutcome {
  readonly report: SaleReport;
  /** Tickets the crowd got a 202 for that Redis holds no decision for. */
  readonly lostTickets: number;
  readonly crowd: CrowdFigures;
  /** Every ticket the crowd got a 202 for. */
  readonly tickets: readonly string[];
  /** Restarts per service: a service that crashed and came back shows here. */
  readonly restarts: Record<string, number>;
  /** From Redis up to the report. */
  readonly elapsedMs: number;
}

/** The invariants that failed, named with their figures; empty when the sale was right. */
export function failedInvariants({ report, lostTickets }: Pick<SaleOutcome, 'report' | 'lostTickets'>): string[] {
  const failed: string[] = [];
  if (!report.ok) failed.push(`the auditor found violations: ${report.violations.join('; ') || 'none named'}`);
  const mustBeZero = { oversold: report.oversold, lost: report.lost, lostTickets, duplicates: report.duplicates };
  for (const [name, count] of Object.entries(mustBeZero)) if (count !== 0) failed.push(`${name} = ${count}, must be 0`);
  return failed;
}

/**
 * The outcome as `--report` writes it: the report's fields, the ticket check, the crowd's figures. Several sales:
 * `{ sales: [each as one sale's], failedInvariants: [each named with its sale] }`.
 */
export function launchJson(outcomes: readonly SaleOutcome[]) {
  if (outcomes.length === 1) return outcomeJson(outcomes[0]);
  return {
    sales: outcomes.map(outcomeJson),
    failedInvariants: outcomes.flatMap((outcome) =>
      failedInvariants(outcome).map((invariant) => `${outcome.report.saleId}: ${invariant}`),
    ),
  };
}

/** One sale's outcome as `--report` writes it: the report's fields, the ticket check, the crowd's figures. */
export function outcomeJson(outcome: SaleOutcome) {
  return {
    ...outcome.report,
    lostTickets: outcome.lostTickets,
    crowd: outcome.crowd,
    services: { restarts: outcome.restarts },
    elapsedMs: outcome.elapsedMs,
    failedInvariants: failedInvariants(outcome),
  };
}
