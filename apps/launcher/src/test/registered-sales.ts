import {
  completionContract,
  customerContract,
  rejectionContract,
  saleReportContract,
  type SaleReport,
} from '@popup-store/contracts';
import { SaleGears, SaleRegistry } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import { eventually } from '@popup-store/redis-harness';
import type { RedisConnection } from '@popup-store/redis-connection';
import { encodeEntry, readPayloads } from '@popup-store/streams-transport';
import { failedInvariants } from '../lib/sale-outcome';
import { undecidedTickets } from '../lib/ticket-check';
import { openSale } from './pipeline';

/** A sale fed straight to its customers stream: its keys, its stock and every order id it was given. */
export interface FedSale {
  readonly sale: SaleKeys;
  readonly stock: number;
  readonly orderIds: string[];
  /** The distinct customers who ordered. */
  readonly customers: Set<string>;
}

/**
 * Opens `saleId` with `stock` units (the gears straight) and registers it, as the operator's API does: every
 * consumer service serves it within a second. The default sale (SALE_ID) needs no registering, but may be.
 */
export async function openRegisteredSale(redis: RedisConnection, saleId: string, stock: number): Promise<FedSale> {
  const sale = await openSale(redis, saleId, stock);
  await new SaleRegistry(redis).register(saleId);
  return { sale, stock, orderIds: [], customers: new Set() };
}

/** The operator's switch, registered as its API registers every change (the sale's score moves). */
export async function switchSale(redis: RedisConnection, fed: FedSale, state: 'open' | 'closed'): Promise<void> {
  await new SaleGears(redis, fed.sale).setState(state);
  await new SaleRegistry(redis).register(fed.sale.saleId);
}

/**
 * Appends customer entries as customer-intake does (through the codec), one pipeline: `count` orders from customers
 * `<prefix>-0…`, every `repeatEvery`-th one again from a customer who ordered already (a duplicate to reject).
 */
export async function feedCustomers(
  redis: RedisConnection,
  fed: FedSale,
  count: number,
  prefix = 'c',
  repeatEvery = 7,
): Promise<void> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < count; i++) {
    const customerId = i > 0 && i % repeatEvery === 0 ? `${prefix}-${i - 1}` : `${prefix}-${i}`;
    const orderId = `${fed.sale.saleId}-${prefix}-o${i}`;
    const customer = { orderId, customerId, submittedAt: Date.now() };
    pipeline.xadd(fed.sale.customers, '*', ...encodeEntry(customerContract, customer));
    fed.orderIds.push(orderId);
    fed.customers.add(customerId);
  }
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** Resolves once Redis holds a decision for every order fed to the sale. */
export async function allDecided(redis: RedisConnection, fed: FedSale, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => (await undecidedTickets(redis, fed.sale, fed.orderIds)).length === 0,
    `every order of ${fed.sale.saleId} decided`,
    timeoutMs,
  );
}

/** The sale's report once it counts every order fed to it (the auditor writes it when the sale is closed and drained). */
export async function reportOf(redis: RedisConnection, fed: FedSale, timeoutMs = 60_000): Promise<SaleReport> {
  let report: SaleReport | undefined;
  await eventually(
    async () => {
      const text = await redis.get(fed.sale.report);
      report = text ? saleReportContract.schema.parse(JSON.parse(text)) : undefined;
      return report?.decided === fed.orderIds.length;
    },
    `the report of ${fed.sale.saleId} counting ${fed.orderIds.length} orders`,
    timeoutMs,
  );
  return report as SaleReport;
}

/**
 * Every invariant of a sale, from what Redis holds once its report is written: the auditor's report clean, sold no
 * more than the stock (and all of it when more customers came), one unit per customer and per unit, every order
 * decided, exactly once, nothing left undecided on its streams. Empty when the sale was right.
 */
export async function saleFailures(redis: RedisConnection, fed: FedSale, report: SaleReport): Promise<string[]> {
  const { sale, stock, orderIds, customers } = fed;
  const undecided = await undecidedTickets(redis, sale, orderIds);
  const failed = failedInvariants({ report, lostTickets: undecided.length });
  const completions = await readPayloads(redis, sale.completed, completionContract);
  const rejections = await readPayloads(redis, sale.rejected, rejectionContract);
  const expected = {
    sold: Math.min(stock, customers.size),
    completions: Math.min(stock, customers.size),
    buyers: Math.min(stock, customers.size),
    units: Math.min(stock, customers.size),
    decisionsWritten: orderIds.length,
    decided: orderIds.length,
    customersLeft: 0,
    ordersLeft: 0,
  };
  const actual = {
    sold: report.sold,
    completions: completions.length,
    buyers: new Set(completions.map((completion) => completion.customerId)).size,
    units: new Set(completions.map((completion) => completion.unit)).size,
    // Each order is decided once: one decision record, one completion or rejection entry.
    decisionsWritten: completions.length + rejections.length,
    decided: await redis.hlen(sale.decisions),
    customersLeft: await redis.xlen(sale.customers),
    ordersLeft: await redis.xlen(sale.orders),
  };
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name as keyof typeof actual];
    if (got !== value) failed.push(`${name} = ${got}, must be ${value}`);
  }
  if (completions.some((completion) => completion.unit < 1 || completion.unit > stock))
    failed.push('a unit outside the stock was sold');
  return failed.map((failure) => `${sale.saleId}: ${failure}`);
}
