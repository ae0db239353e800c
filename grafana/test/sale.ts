import {
  alertContract,
  customerContract,
  orderContract,
  rejectionReasons,
  saleReportContract,
} from '@popup-store/contracts';
import { loadGears, orderToDecide, SaleGears } from '@popup-store/gears-client';
import { ConsumerGroup, deadLetterStream, type SaleKeys, saleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { drainStream, entryFields } from '@popup-store/streams-transport';

/** Redis TIME in ms: the clock the gears decide by, and the one stream ids and series points carry. */
export async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** A played sale: its keys, and the trace id each order was submitted with. */
export interface PlayedSale {
  readonly sale: SaleKeys;
  readonly traceIds: ReadonlyMap<string, string>;
}

/**
 * Plays intake and order-generation: a customers entry, then an orders entry in the v1 wire format, each order in a
 * trace of its own (the `traceparent` field the transport injects, which the gears copy onto the decision).
 */
async function addOrders(
  redis: Redis,
  sale: SaleKeys,
  orders: readonly [orderId: string, customerId: string][],
  traceIds: Map<string, string>,
) {
  for (const [orderId, customerId] of orders) {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const submittedAt = Date.now() - 30;
    const customerEntryId = await redis.xadd(
      sale.customers,
      '*',
      ...entryFields(customerContract, JSON.stringify({ orderId, customerId, submittedAt })),
      'traceparent',
      traceparent,
    );
    const order = { orderId, customerId, submittedAt, orderedAt: Date.now(), customerEntryId };
    await redis.xadd(
      sale.orders,
      '*',
      ...entryFields(orderContract, JSON.stringify(order)),
      'traceparent',
      traceparent,
    );
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
 * A small sale that leaves something in every key the dashboards read: 2 units; ann, bob, ann again and cy order
 * (2 completed, a duplicate, a sold_out); one malformed order is dead-lettered; the operator closes the sale; the
 * auditor's record, one alert and the final report are written as fulfilment-auditing writes them; then two late
 * orders arrive and wait, so the customers and orders streams are not empty.
 */
export async function playSale(redis: Redis, saleId: string): Promise<PlayedSale> {
  const sale = saleKeys(saleId);
  const traceIds = new Map<string, string>();
  await loadGears(redis);
  const gears = new SaleGears(redis, sale);
  const now = await redisNow(redis);
  await gears.configure({ stock: 2, startsAt: now - 1000, endsAt: now + 60_000 });
  await addOrders(
    redis,
    sale,
    [
      ['o1', 'ann'],
      ['o2', 'bob'],
      ['o3', 'ann'],
      ['o4', 'cy'],
    ],
    traceIds,
  );
  await redis.xadd(sale.orders, '*', ...entryFields(orderContract, '{"orderId":"broken"}'));
  await decideAll(redis, sale);
  await gears.setState('closed');
  await writeAudit(redis, sale);
  await addOrders(
    redis,
    sale,
    [
      ['o5', 'dee'],
      ['o6', 'eve'],
    ],
    traceIds,
  );
  return { sale, traceIds };
}

/** What fulfilment-auditing keeps: the audit hash after one violation, its alert, and the report of the sale. */
async function writeAudit(redis: Redis, sale: SaleKeys): Promise<void> {
  const status = await new SaleGears(redis, sale).status();
  const alert = alertContract.schema.parse({
    kind: 'test_violation',
    message: 'raised by the grafana spec',
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
  await redis.xadd(sale.alerts, '*', ...entryFields(alertContract, JSON.stringify(alert)));
  const decided = status.counts.completed + rejectionReasons.reduce((sum, reason) => sum + status.counts[reason], 0);
  const percentiles = { p50: 30, p95: 30, p99: 30, max: 30, count: status.counts.completed };
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

/** Where metrics-export puts its points: RedisTimeSeries where the server knows TS.ADD, else capped streams. */
export type SeriesBackend = 'timeseries' | 'stream';

export async function seriesBackend(redis: Redis): Promise<SeriesBackend> {
  const [info] = (await redis.call('COMMAND', 'INFO', 'TS.ADD')) as unknown[];
  return info ? 'timeseries' : 'stream';
}

/** The streams metrics-export samples (docs/metrics.md), by the name their series keys carry. */
function sampledStreams(sale: SaleKeys): [name: string, key: string][] {
  const streams: [string, string][] = [
    ['customers', sale.customers],
    ['orders', sale.orders],
    ['completed', sale.completed],
    ['rejected', sale.rejected],
  ];
  return [
    ...streams,
    ...streams.map(([name, key]): [string, string] => [`${name}:dead-letter`, deadLetterStream(key)]),
  ];
}

/**
 * One sample of every series metrics-export writes for the sale `seriesSale` (key naming and labels of docs/metrics.md,
 * as in apps/metrics-export/src/series), valued from the played sale `from`: TS.ADD with retention, ON_DUPLICATE LAST
 * and labels on RedisTimeSeries, else `XADD … MAXLEN ~ n * value v`. All points in one pipeline, as metrics-export does.
 */
export async function writeSeriesSample(
  redis: Redis,
  from: SaleKeys,
  seriesSale: SaleKeys,
  backend: SeriesBackend,
): Promise<void> {
  const status = await new SaleGears(redis, from).status();
  const points: [path: string, labels: Record<string, string>, value: number][] = [
    ['stock:left', { metric: 'stock', stock: 'left' }, status.left],
    ['stock:initial', { metric: 'stock', stock: 'initial' }, status.stock],
    ...rejectionReasons.map((reason): [string, Record<string, string>, number] => [
      `rejections:${reason}`,
      { metric: 'rejections', reason },
      status.counts[reason],
    ]),
    ...(['completed', 'rejected', 'decisions'] as const).map((of): [string, Record<string, string>, number] => [
      `rate:${of}`,
      { metric: 'rate', of },
      1,
    ]),
    ...(['p50', 'p95', 'p99'] as const).map((quantile): [string, Record<string, string>, number] => [
      `latency:${quantile}`,
      { metric: 'latency', quantile },
      30,
    ]),
  ];
  for (const [name, key] of sampledStreams(from)) {
    const length = await redis.xlen(key);
    points.push(
      [`len:${name}`, { metric: 'len', stream: name }, length],
      [`enqueue:${name}`, { metric: 'enqueue', stream: name }, length],
    );
  }
  const pipeline = redis.pipeline();
  for (const [path, labels, value] of points) {
    const key = `${seriesSale.tag}:ts:${path}`;
    if (backend === 'timeseries') {
      const flat = Object.entries({ sale: seriesSale.saleId, ...labels }).flat();
      pipeline.call(
        'TS.ADD',
        key,
        '*',
        String(value),
        'RETENTION',
        '3600000',
        'ON_DUPLICATE',
        'LAST',
        'LABELS',
        ...flat,
      );
    } else pipeline.call('XADD', key, 'MAXLEN', '~', '3600', '*', 'value', String(value));
  }
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}
