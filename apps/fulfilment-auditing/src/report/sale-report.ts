import { completionContract, rejectionContract, type SaleReport } from '@popup-store/contracts';
import { SaleGears } from '@popup-store/gears-client';
import { deadLetterStream, type SaleKeys } from '@popup-store/keys';
import { readPayloads } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { percentiles } from '@popup-store/stats';

const PAGE = 5000;

/**
 * The sale's report from what Redis holds: the completed and rejected streams, the decisions, the customers
 * stream's count of entries ever added, and the sale's state (with the gears' count of replayed entries). It
 * trusts no service's counters, its own included: the state is kept by the gears, in the same atomic calls.
 */
export async function computeSaleReport(redis: Redis, sale: SaleKeys): Promise<SaleReport> {
  const status = await new SaleGears(redis, sale).status();
  const [accepted, pending, decided, deadLettered] = await Promise.all([
    entriesAdded(redis, sale.customers),
    redis.xlen(sale.customers),
    redis.hlen(sale.decisions),
    redis.xlen(deadLetterStream(sale.customers)),
  ]);
  // Read as the streams' consumers read them: what breaks the contract was not written by the gears (anyone with
  // XADD can write it), the consumer groups dead-letter it with its cause, and it is no record of the sale.
  const completions = await readPayloads(redis, sale.completed, completionContract, { pageSize: PAGE });
  const rejections = await readPayloads(redis, sale.rejected, rejectionContract, { pageSize: PAGE });

  const customers = new Set(completions.map((c) => c.customerId));
  const units = new Set(completions.map((c) => c.unit));
  const sold = completions.length;
  const oversold = Math.max(0, sold - status.stock, completions.filter((c) => c.unit > status.stock).length);
  const duplicates = sold - customers.size + (sold - units.size);
  const outsideWindow = completions.filter(
    (c) =>
      status.startsAt === null ||
      status.endsAt === null ||
      c.completedAt < status.startsAt ||
      c.completedAt >= status.endsAt,
  ).length;
  // A second customer entry of an order decided before is deleted by the gears and counted there (replayed): it
  // added one to accepted, and none to decided.
  const lost = Math.max(0, accepted - decided - status.replayed - pending - deadLettered);
  const rejected = { closed: 0, duplicate: 0, sold_out: 0 };
  for (const r of rejections) rejected[r.reason]++;

  const violations: string[] = [];
  if (oversold > 0) violations.push(`oversold: ${sold} units sold of ${status.stock}`);
  if (status.left + status.counts.completed !== status.stock) {
    violations.push(`stock does not add up: ${status.left} left + ${status.counts.completed} sold != ${status.stock}`);
  }
  if (sold !== status.counts.completed)
    violations.push(`${sold} completion records for ${status.counts.completed} units sold`);
  if (duplicates > 0) violations.push(`${duplicates} duplicate units or customers served twice`);
  if (outsideWindow > 0) violations.push(`${outsideWindow} completions outside the sale window`);
  if (lost > 0) violations.push(`${lost} accepted orders neither decided nor waiting`);
  if (sold + rejections.length !== decided)
    violations.push(`${decided} decisions but ${sold + rejections.length} decision records`);
  const auditStatus = await redis.hget(sale.audit, 'status');
  if (auditStatus === 'violated') violations.push('the running audit raised violations (see the alerts stream)');

  // A loop, not Math.min(...records): spreading more than about 120,000 arguments overflows the stack.
  let firstOrder = Infinity;
  for (const { submittedAt } of completions) if (submittedAt < firstOrder) firstOrder = submittedAt;
  for (const { submittedAt } of rejections) if (submittedAt < firstOrder) firstOrder = submittedAt;
  const sellingFrom = Math.max(status.startsAt ?? 0, Number.isFinite(firstOrder) ? firstOrder : 0);
  return {
    saleId: sale.saleId,
    stock: status.stock,
    left: status.left,
    sold,
    oversold,
    duplicates,
    lost,
    outsideWindow,
    accepted,
    decided,
    pending,
    deadLettered,
    replayed: status.replayed,
    rejected,
    latencyMs: {
      completion: percentiles(completions.map((c) => c.completedAt - c.submittedAt)),
      decision: percentiles([
        ...completions.map((c) => c.completedAt - c.submittedAt),
        ...rejections.map((r) => r.decidedAt - r.submittedAt),
      ]),
    },
    startsAt: status.startsAt,
    endsAt: status.endsAt,
    soldOutAt: status.soldOutAt,
    timeToSellOutMs: status.soldOutAt === null || status.left > 0 ? null : Math.max(0, status.soldOutAt - sellingFrom),
    ok: violations.length === 0,
    violations,
    reportedAt: Date.now(),
  };
}

/** Entries ever added to a stream (XINFO STREAM `entries-added`, Redis 7+): deletions do not lower it. */
async function entriesAdded(redis: Redis, stream: string): Promise<number> {
  if ((await redis.exists(stream)) === 0) return 0;
  const info = (await redis.xinfo('STREAM', stream)) as unknown[];
  return Number(info[info.indexOf('entries-added') + 1]);
}
