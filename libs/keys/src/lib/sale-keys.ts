/** The sale every service works on when none is named. */
export const DEFAULT_SALE_ID = 'popup';

/** A sale id goes inside a hash tag, so it must not contain braces; kept short and URL-safe. */
const SALE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Every Redis key of one sale. All share the hash tag `{sale:<id>}`, so one function call may touch them all. */
export interface SaleKeys {
  readonly saleId: string;
  /** `{sale:<id>}`: the hash tag itself, for keys a caller derives (dead-letter streams). */
  readonly tag: string;
  /** Stream: one entry per accepted customer request (writers and readers: TOPOLOGY). */
  readonly customers: string;
  /** Stream: one entry per order still to decide. */
  readonly orders: string;
  /** Stream: one entry per completed order, written by the gears. */
  readonly completed: string;
  /** Stream: one entry per rejected order, written by the gears. */
  readonly rejected: string;
  /** Stream: findings of the auditing service. */
  readonly alerts: string;
  /** Hash: the sale's configuration and live counters (fields in {@link SaleStateField}). */
  readonly state: string;
  /** Hash: customer id → `<orderId>:<unit>` of the one unit that customer bought. */
  readonly buyers: string;
  /** Hash: order id → its decision (`completed:<unit>:<at>` or `rejected:<reason>:<at>`). */
  readonly decisions: string;
  /** Hash: the auditor's running record (status, violations, completions seen, last check). */
  readonly audit: string;
  /** Hash: customer id → order id of each completion the auditor saw, to catch a customer served twice. */
  readonly auditBuyers: string;
  /** Hash: unit number → order id of each completion the auditor saw, to catch a unit sold twice. */
  readonly auditUnits: string;
  /** String: the final sale report (JSON, the sale-report contract), written by the auditor when the sale closes. */
  readonly report: string;
  /** The waiting room (docs/waiting-room.md), written only by the gears' `popup_room_*` functions. */
  readonly room: WaitingRoomKeys;
}

/** The keys of a sale's waiting room, in the order the `popup_room_*` functions take them after the state. */
export interface WaitingRoomKeys {
  /** Hash: the room's settings, progress and counters. */
  readonly settings: string;
  /** Sorted set: customer id → position in line; the smallest are admitted first. */
  readonly line: string;
  /** Sorted set: customer id → when it was last heard of (ms); silent ones lose their place. */
  readonly seen: string;
  /** Set: customers who arrived before the opening, shuffled into the line at the opening. */
  readonly early: string;
  /** Hash: customer id → when it was admitted (ms). */
  readonly admitted: string;
  /** Hash: customer id → `<placedAt>:<estimatedAdmitAt>`, to measure the wait estimates' error. */
  readonly estimates: string;
}

/** Fields of the `{sale:<id>}:state` hash. */
export const SaleStateField = {
  /** Initial stock. */
  stock: 'stock',
  /** Units left. */
  left: 'left',
  /** Window start and end, ms since the epoch; orders are decided inside `[startsAt, endsAt)`. */
  startsAt: 'startsAt',
  endsAt: 'endsAt',
  /** `open` or `closed`: the operator's switch, on top of the window. */
  state: 'state',
  /** When the last unit went (ms), set once. */
  soldOutAt: 'soldOutAt',
  /** Decisions so far, by outcome. */
  completed: 'completed',
  closed: 'closed',
  duplicate: 'duplicate',
  soldOut: 'sold_out',
  /** Customer entries deleted with no decision of their own: second entries of an order decided before. */
  replayed: 'replayed',
} as const;

/** Consumer groups; which streams each reads, and in which service, is `TOPOLOGY` (topology.ts). */
export const ConsumerGroup = {
  /** order-generation on `customers`. */
  orderGeneration: 'order-generation',
  /** The completion trigger (fulfilment-auditing) on `orders`: its FCALL acknowledges what it decides. */
  fulfilment: 'fulfilment',
  /** fulfilment-auditing's auditor on `completed`. */
  auditing: 'auditing',
  /** metrics-export on `completed` and `rejected`. */
  metrics: 'metrics',
} as const;

export type ConsumerGroupName = (typeof ConsumerGroup)[keyof typeof ConsumerGroup];

/** The keys of a sale; throws on an id that cannot sit inside a hash tag. */
export function saleKeys(saleId: string = DEFAULT_SALE_ID): SaleKeys {
  if (!SALE_ID.test(saleId)) {
    throw new RangeError(
      `sale id must match ${SALE_ID} (it goes inside a Redis hash tag), got ${JSON.stringify(saleId)}`,
    );
  }
  const tag = `{sale:${saleId}}`;
  return {
    saleId,
    tag,
    customers: `${tag}:customers`,
    orders: `${tag}:orders`,
    completed: `${tag}:completed`,
    rejected: `${tag}:rejected`,
    alerts: `${tag}:alerts`,
    state: `${tag}:state`,
    buyers: `${tag}:buyers`,
    decisions: `${tag}:decisions`,
    audit: `${tag}:audit`,
    auditBuyers: `${tag}:audit:buyers`,
    auditUnits: `${tag}:audit:units`,
    report: `${tag}:report`,
    room: {
      settings: `${tag}:room`,
      line: `${tag}:line`,
      seen: `${tag}:line:seen`,
      early: `${tag}:line:early`,
      admitted: `${tag}:line:admitted`,
      estimates: `${tag}:line:estimates`,
    },
  };
}

/** Where entries of `stream` that cannot be processed go; same hash tag as the stream. */
export function deadLetterStream(stream: string): string {
  return `${stream}:dead-letter`;
}

/**
 * String: what customer-intake answered to the first `POST /api/orders` with this `Idempotency-Key` from this
 * customer (the ticket and a hash of the body), so a retry gets the same ticket. Expires after a day.
 */
export function idempotencyKey(sale: SaleKeys, customerId: string, key: string): string {
  return `${sale.tag}:idempotency:${customerId}:${key}`;
}

/**
 * String: the order an admission pass bought with (its Idempotency-Key, or empty), claimed with `SET NX` by the
 * first order that shows the pass, until the pass lapses: a pass buys once.
 */
export function admissionPassKey(sale: SaleKeys, passId: string): string {
  return `${sale.tag}:pass:${passId}`;
}

/**
 * Sorted set: every sale an operator made (member: the sale id, score: ms of the operator's last change to it),
 * which every service reads to serve every live sale. No hash tag: it names many sales, so on a cluster it lives on
 * its own slot, written beside (never in the same call as) a sale's gears.
 */
export const SALE_REGISTRY_KEY = 'popup:sales';

/** The records of one earlier run of a sale, which `popup_configure_sale` archives when it starts the sale over. */
export type RunArchive = Pick<
  SaleKeys,
  | 'state'
  | 'buyers'
  | 'decisions'
  | 'customers'
  | 'orders'
  | 'completed'
  | 'rejected'
  | 'alerts'
  | 'audit'
  | 'auditBuyers'
  | 'auditUnits'
  | 'report'
>;

/**
 * Where run `run` of a sale lies once the sale started over: each of its keys renamed `{sale:<id>}:run:<run>:<name>`
 * (same hash tag, same slot). The gears derive the same names (configure_sale.lua).
 */
export function runArchive(sale: SaleKeys, run: number): RunArchive {
  if (!Number.isSafeInteger(run) || run < 1) throw new RangeError(`a run is an integer >= 1, got ${run}`);
  const archived = (key: string) => `${sale.tag}:run:${run}:${key.slice(sale.tag.length + 1)}`;
  return {
    state: archived(sale.state),
    buyers: archived(sale.buyers),
    decisions: archived(sale.decisions),
    customers: archived(sale.customers),
    orders: archived(sale.orders),
    completed: archived(sale.completed),
    rejected: archived(sale.rejected),
    alerts: archived(sale.alerts),
    audit: archived(sale.audit),
    auditBuyers: archived(sale.auditBuyers),
    auditUnits: archived(sale.auditUnits),
    report: archived(sale.report),
  };
}
