import {
  alertContract,
  customerContract,
  orderContract,
  rejectionReasons,
  saleReportContract,
} from '@popup-store/contracts';
import { loadGears, orderToDecide, redisNow, ROOM_DEFAULTS, SaleGears } from '@popup-store/gears-client';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import { drainStream, encodeEntry, entryFields } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

/** A played sale: the trace id each order was submitted in. */
export interface PlayedSale {
  readonly sale: SaleKeys;
  readonly traceIds: ReadonlyMap<string, string>;
}

/** How long before its decision every order of the played sale was submitted: its latency is at least this. */
export const ORDER_AGE_MS = 40;

/** Loads the gears and opens a sale of `stock` units, started a second ago (Redis's clock) and ending in a minute. */
export async function openSale(redis: Redis, sale: SaleKeys, stock: number): Promise<SaleGears> {
  await loadGears(redis);
  const gears = new SaleGears(redis, sale);
  const now = await redisNow(redis);
  await gears.configure({ stock, startsAt: now - 1000, endsAt: now + 60_000 });
  return gears;
}

/**
 * Plays intake and order-generation: a customers entry, then an orders entry through the codec, per order, each
 * in a trace of its own (the `traceparent` field the transport injects, which the gears copy onto the decision).
 */
async function addOrders(
  redis: Redis,
  sale: SaleKeys,
  orders: readonly [string, string][],
  traceIds: Map<string, string>,
) {
  for (const [orderId, customerId] of orders) {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const submittedAt = Date.now() - ORDER_AGE_MS;
    const carrier = { traceparent };
    const customerEntryId = await redis.xadd(
      sale.customers,
      '*',
      ...encodeEntry(customerContract, { orderId, customerId, submittedAt }, { carrier }),
    );
    const order = {
      orderId,
      customerId,
      submittedAt,
      orderedAt: Date.now(),
      customerEntryId: customerEntryId as string,
    };
    await redis.xadd(sale.orders, '*', ...encodeEntry(orderContract, order, { carrier }));
    traceIds.set(orderId, traceId);
  }
}

/** Decides every order queued so far, as the completion trigger in fulfilment-auditing does. */
async function decideAll(redis: Redis, sale: SaleKeys): Promise<void> {
  const gears = new SaleGears(redis, sale);
  await drainStream(
    { redis, stream: sale.orders, contract: orderContract, group: ConsumerGroup.fulfilment, acknowledgedBy: 'handler' },
    (orders) => gears.decide(orders.map((order) => orderToDecide(order.id, order.data, order.carrier))),
  );
}

/**
 * The small sale the specs of metrics-export and of the dashboards read, one that leaves something in every key:
 * 2 units; ann, bob, ann again and cy order (2 completed, a duplicate, a sold_out); one malformed order is
 * dead-lettered; the operator closes the sale and dee's order is rejected as closed; the auditor's record, one
 * alert and the final report are written as fulfilment-auditing writes them; then eve and fay order and wait, so
 * the customers and orders streams are not empty. Decision counts: completed 2, duplicate 1, sold_out 1, closed 1;
 * 7 customer entries. Before any order, the waiting room admits ann and bob (it stays on, with gus still in line).
 */
export async function playSale(redis: Redis, sale: SaleKeys): Promise<PlayedSale> {
  const traceIds = new Map<string, string>();
  const gears = await openSale(redis, sale, 2);
  await admitThroughRoom(gears);
  const ordered: [string, string][] = [
    ['o1', 'ann'],
    ['o2', 'bob'],
    ['o3', 'ann'],
    ['o4', 'cy'],
  ];
  await addOrders(redis, sale, ordered, traceIds);
  await redis.xadd(sale.orders, '*', ...entryFields(orderContract, '{"orderId":"broken"}'));
  await decideAll(redis, sale);
  await gears.setState('closed');
  await addOrders(redis, sale, [['o5', 'dee']], traceIds);
  await decideAll(redis, sale);
  await writeAudit(redis, sale);
  await addOrders(
    redis,
    sale,
    [
      ['o6', 'eve'],
      ['o7', 'fay'],
    ],
    traceIds,
  );
  return { sale, traceIds };
}

/** The waiting room on, ann and bob admitted, gus still in line: its keys and counters as intake leaves them. */
async function admitThroughRoom(gears: SaleGears): Promise<void> {
  await gears.configureRoom({ ...ROOM_DEFAULTS, on: true, admitPerSecond: 2 });
  for (const customer of ['ann', 'bob', 'gus']) await gears.joinRoom(await gears.status(), customer);
  for (let tries = 0; (await gears.roomStatus()).admitted < 2; tries++) {
    if (tries > 100) throw new Error('the waiting room admitted nobody in 5 s');
    await gears.watchRoom(await gears.status(), ['ann', 'bob', 'gus']);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What fulfilment-auditing keeps: the audit hash after one violation, its alert, and the report of the sale. */
async function writeAudit(redis: Redis, sale: SaleKeys): Promise<void> {
  const status = await new SaleGears(redis, sale).status();
  const alert = alertContract.schema.parse({
    kind: 'test_violation',
    message: 'raised by the sale fixture',
    at: Date.now(),
    details: { sale: sale.saleId },
  });
  await redis.hset(
    sale.audit,
    'status',
    'violated',
    'violations',
    1,
    'completionsSeen',
    status.counts.completed,
    'checkedAt',
    Date.now(),
  );
  await redis.xadd(sale.alerts, '*', ...encodeEntry(alertContract, alert));
  const decided = status.counts.completed + rejectionReasons.reduce((sum, reason) => sum + status.counts[reason], 0);
  const percentiles = {
    p50: ORDER_AGE_MS,
    p95: ORDER_AGE_MS,
    p99: ORDER_AGE_MS,
    max: ORDER_AGE_MS,
    count: status.counts.completed,
  };
  const report = saleReportContract.schema.parse({
    saleId: sale.saleId,
    stock: status.stock,
    left: status.left,
    sold: status.counts.completed,
    oversold: 0,
    duplicates: 0,
    lost: 0,
    outsideWindow: 0,
    accepted: decided,
    decided,
    pending: 0,
    deadLettered: 1,
    rejected: { closed: status.counts.closed, duplicate: status.counts.duplicate, sold_out: status.counts.sold_out },
    latencyMs: { completion: percentiles, decision: { ...percentiles, count: decided } },
    startsAt: status.startsAt,
    endsAt: status.endsAt,
    soldOutAt: status.soldOutAt,
    timeToSellOutMs: status.soldOutAt !== null && status.startsAt !== null ? status.soldOutAt - status.startsAt : null,
    ok: false,
    violations: ['the running audit raised violations (see the alerts stream)'],
    reportedAt: Date.now(),
  });
  await redis.set(sale.report, JSON.stringify(report));
}
