/** How an instrument is exported, which decides its Prometheus names. */
export type MetricKind = 'gauge' | 'counter' | 'histogram';

export interface SaleMetric {
  /** The OpenTelemetry instrument name. */
  readonly instrument: string;
  readonly kind: MetricKind;
  readonly description: string;
}

/**
 * Every metric metrics-export serves on /metrics, once: its instruments are made from this table, and its spec
 * checks the scraped names and docs/metrics.md against it.
 */
export const SALE_METRICS = {
  stockLeft: { instrument: 'popup.stock.left', kind: 'gauge', description: 'Units left' },
  stockInitial: { instrument: 'popup.stock.initial', kind: 'gauge', description: 'Units the sale started with' },
  streamLength: {
    instrument: 'popup.stream.length',
    kind: 'gauge',
    description: 'Entries in each stream of the sale, by stream',
  },
  backlog: {
    instrument: 'popup.backlog',
    kind: 'gauge',
    description:
      'Orders taken but not decided yet (the customers stream: the gears delete an entry when they decide its order)',
  },
  entriesAdded: {
    instrument: 'popup.stream.entries_added',
    kind: 'counter',
    description: 'Entries ever added to each stream of the sale (orders enqueued: stream="orders")',
  },
  decisions: {
    instrument: 'popup.decisions',
    kind: 'counter',
    description: 'Orders decided, by outcome and, for rejections, reason',
  },
  roomWaiting: {
    instrument: 'popup.room.waiting',
    kind: 'gauge',
    description:
      'Customers in the waiting room: placed in line (where="line") or arrived before the opening (where="early")',
  },
  roomAdmitted: {
    instrument: 'popup.room.admitted',
    kind: 'counter',
    description: 'Customers the waiting room admitted',
  },
  roomAbandoned: {
    instrument: 'popup.room.abandoned',
    kind: 'counter',
    description: 'Customers who lost their place in the waiting room by going silent',
  },
  roomRate: {
    instrument: 'popup.room.admit_rate',
    kind: 'gauge',
    description: "The waiting room's admissions per second now (0 while the room is off)",
  },
  roomEstimateError: {
    instrument: 'popup.room.estimate_error',
    kind: 'gauge',
    description: 'Mean relative error of the wait estimates told to the customers admitted so far (0.25 = 25%)',
  },
  orderLatency: {
    instrument: 'popup.order.latency',
    kind: 'histogram',
    description: 'Time from submission (submittedAt) to decision (completedAt or decidedAt), by outcome',
  },
} as const satisfies Record<string, SaleMetric>;

/** The metric family as Prometheus's `# TYPE` line names it: dots to underscores, `_total` on a monotonic counter. */
export function prometheusFamily(metric: SaleMetric): string {
  const base = metric.instrument.replace(/\./g, '_');
  return metric.kind === 'counter' ? `${base}_total` : base;
}

/** The series names a query can select: a histogram's three, one otherwise. */
export function prometheusSeries(metric: SaleMetric): string[] {
  const family = prometheusFamily(metric);
  return metric.kind === 'histogram' ? [`${family}_bucket`, `${family}_sum`, `${family}_count`] : [family];
}
