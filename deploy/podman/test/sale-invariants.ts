import { saleReportContract, type SaleReport } from '@popup-store/contracts';
import { type SaleKeys, SaleStateField } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { until } from './engine.ts';

/** What Redis holds of a sale once it is closed and drained, and every invariant that failed. */
export interface SaleFacts {
  readonly stock: number;
  readonly sold: number;
  readonly decided: number;
  readonly report: SaleReport;
  readonly violations: string[];
}

/** Every accepted order decided: the gears delete an order's customers and orders entries with its decision. */
export function drained(redis: Redis, sale: SaleKeys, timeoutMs: number): Promise<true> {
  return until(`the ${sale.customers} and ${sale.orders} streams emptied`, timeoutMs, async () => {
    const [customers, orders] = await Promise.all([redis.xlen(sale.customers), redis.xlen(sale.orders)]);
    return customers + orders === 0 ? true : undefined;
  });
}

/** The report fulfilment-auditing writes once the sale is closed and drained. */
export async function finalReport(redis: Redis, sale: SaleKeys, timeoutMs: number): Promise<SaleReport> {
  const text = await until(
    `a report at ${sale.report}`,
    timeoutMs,
    async () => (await redis.get(sale.report)) ?? undefined,
  );
  return saleReportContract.schema.parse(JSON.parse(text));
}

/**
 * The sale's invariants, read from Redis itself and not only from the auditor's report: no unit sold beyond the
 * stock nor twice, no customer served twice, every ticket decided, every completion counted once.
 */
export async function saleFacts(
  redis: Redis,
  sale: SaleKeys,
  report: SaleReport,
  tickets: readonly string[],
): Promise<SaleFacts> {
  const violations: string[] = [];
  const [state, decisions, buyers, completedEntries] = await Promise.all([
    redis.hgetall(sale.state),
    redis.hgetall(sale.decisions),
    redis.hgetall(sale.buyers),
    redis.xlen(sale.completed),
  ]);
  const stock = Number(state[SaleStateField.stock]);
  const left = Number(state[SaleStateField.left]);
  const completions = Object.entries(decisions).filter(([, decision]) => decision.startsWith('completed:'));
  const units = completions.map(([, decision]) => decision.split(':')[1]);

  if (completions.length > stock) violations.push(`oversold: ${completions.length} completions for ${stock} units`);
  if (stock - left !== completions.length)
    violations.push(`stock says ${stock - left} sold, the decisions ${completions.length}`);
  if (new Set(units).size !== units.length)
    violations.push(`a unit sold twice: ${units.length} completions, ${new Set(units).size} units`);
  if (Object.keys(buyers).length !== completions.length)
    violations.push(
      `${completions.length} completions for ${Object.keys(buyers).length} buyers: a customer served twice`,
    );
  for (const [customer, held] of Object.entries(buyers)) {
    const [orderId, unit] = held.split(':');
    if (decisions[orderId ?? ''] !== undefined && !decisions[orderId ?? '']?.startsWith(`completed:${unit}:`))
      violations.push(`buyer ${customer} holds ${held}, but that order's decision is ${decisions[orderId ?? '']}`);
  }
  const undecided = tickets.filter((ticket) => decisions[ticket] === undefined);
  if (undecided.length)
    violations.push(`${undecided.length} tickets without a decision, e.g. ${undecided.slice(0, 3).join(', ')}`);
  if (completedEntries !== completions.length)
    violations.push(`${completedEntries} entries in the completed stream for ${completions.length} completions`);
  if (report.sold !== completions.length)
    violations.push(`the report says ${report.sold} sold, Redis ${completions.length}`);
  if (!report.ok) violations.push(`the auditor found: ${report.violations.join('; ')}`);
  for (const name of ['oversold', 'duplicates', 'lost', 'outsideWindow'] as const)
    if (report[name] !== 0) violations.push(`report.${name} = ${report[name]}`);
  return { stock, sold: completions.length, decided: Object.keys(decisions).length, report, violations };
}
