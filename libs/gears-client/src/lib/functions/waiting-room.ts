import type { SaleKeys } from '@popup-store/keys';
import type { GearsFunction } from '../gears-function';
import type { SalePhase, SaleStatus } from './sale-status';

/** The operator's settings of a sale's waiting room (docs/waiting-room.md). */
export interface RoomSettings {
  /** Orders need an admission while the room is on. */
  readonly on: boolean;
  /** Admissions per second; 0 derives the rate from the decisions measured (a tenth above them). */
  readonly admitPerSecond: number;
  /** How long a customer not heard of keeps its place, ms (at least 1000). */
  readonly timeoutMs: number;
  /** How long an admission (and its pass) lasts, ms (at least 1000). */
  readonly admitMs: number;
  /** The least derived rate, admissions per second. */
  readonly autoFloor: number;
  /**
   * A room that is off turns itself on once the order requests every intake reports pass the admission rate
   * (docs/waiting-room.md); off by default.
   */
  readonly auto?: boolean;
  /** Empty the line and its counters: the sale starts over. */
  readonly reset?: boolean;
}

export const ROOM_DEFAULTS: Omit<RoomSettings, 'on'> = {
  admitPerSecond: 0,
  timeoutMs: 30_000,
  admitMs: 120_000,
  autoFloor: 100,
};

/**
 * Where a customer stands: `off` (no room: order directly), `closed` (the line closed at the sell-out or the
 * end), `early` (before the opening: shuffled into the line then), `waiting` (with the customers ahead),
 * `admitted` (until when, ms: the admission lapses then), or `none` (never joined, or lost its place by going silent).
 */
export type Whereabouts =
  | { readonly where: 'off' | 'closed' | 'early' | 'none' }
  | { readonly where: 'waiting'; readonly ahead: number }
  | { readonly where: 'admitted'; readonly until: number };

export interface RoomAnswer {
  readonly whereabouts: Whereabouts;
  /** Admissions per second now. */
  readonly rate: number;
  readonly phase: SalePhase;
  /** Redis TIME, ms. */
  readonly now: number;
}

export interface RoomWatch {
  readonly on: boolean;
  readonly closed: boolean;
  readonly rate: number;
  readonly phase: SalePhase;
  readonly now: number;
  /** Customers in line (placed), and early arrivals not yet shuffled in. */
  readonly waiting: number;
  readonly early: number;
  /** Where each watched customer stands, in the order asked. */
  readonly customers: readonly Whereabouts[];
}

export interface RoomStatus {
  readonly on: boolean;
  readonly closed: boolean;
  readonly rate: number;
  readonly waiting: number;
  readonly early: number;
  readonly joined: number;
  readonly admitted: number;
  readonly abandoned: number;
  /** Mean relative error of the wait estimates of the customers admitted so far (0.25 = 25%); null before any. */
  readonly estimateError: number | null;
  /** It turns itself on once arrivals pass the rate; when it did (ms), null if it has not. */
  readonly auto: boolean;
  readonly autoOnAt: number | null;
}

/** The most customers one popup_room_watch call takes. */
export const MAX_WATCHED = 1000;

/**
 * The sale as popup_sale_status read it: the room functions take it as arguments, since an FCALL needs write
 * access to every key it names and customer-intake may only read the sale's state. `backlog`, the customer entries
 * not yet orders, when the caller knows it: a derived rate grows fast only while it says the pipeline keeps up.
 */
export type RoomSale = Pick<SaleStatus, 'state' | 'startsAt' | 'endsAt' | 'left' | 'counts'> & {
  readonly backlog?: number;
};

const saleArgs = ({ state, startsAt, endsAt, left, counts, backlog }: RoomSale) => [
  state,
  String(startsAt ?? -1),
  String(endsAt ?? -1),
  String(left),
  String(counts.completed + counts.closed + counts.duplicate + counts.sold_out),
  String(backlog ?? -1),
];

const roomKeys = (sale: SaleKeys) => [
  sale.room.settings,
  sale.room.line,
  sale.room.seen,
  sale.room.early,
  sale.room.admitted,
  sale.room.estimates,
];

function whereabouts(where: unknown, value: unknown): Whereabouts {
  switch (where) {
    case 'waiting':
      return { where, ahead: Number(value) };
    case 'admitted':
      return { where, until: Number(value) };
    case 'off':
    case 'closed':
    case 'early':
    case 'none':
      return { where };
    default:
      throw new Error(`popup_room_*: unknown whereabouts ${String(where)}`);
  }
}

/** `popup_room_configure`: the room's settings; replies whether it was on before. */
export const roomConfigureFunction: GearsFunction<RoomSettings, boolean> = {
  name: 'popup_room_configure',
  readOnly: false,
  keys: roomKeys,
  args: (settings) => [
    settings.on ? '1' : '0',
    String(settings.admitPerSecond),
    String(settings.timeoutMs),
    String(settings.admitMs),
    String(settings.autoFloor),
    settings.reset ? '1' : '0',
    settings.auto ? '1' : '0',
  ],
  parse: (reply) => reply === '1',
};

/** `popup_room_join`: joins the line (or asks again where the customer stands). */
export const roomJoinFunction: GearsFunction<{ sale: RoomSale; customerId: string }, RoomAnswer> = {
  name: 'popup_room_join',
  readOnly: false,
  keys: roomKeys,
  args: ({ sale, customerId }) => [...saleArgs(sale), customerId],
  parse: (reply) => {
    const [where, value, rate, phase, now] = reply as unknown[];
    return { whereabouts: whereabouts(where, value), rate: Number(rate), phase: phase as SalePhase, now: Number(now) };
  },
};

/**
 * `popup_room_watch`: brings the room up to date, keeps the listed customers' places, says where each is;
 * `arrivals` are the sale's order requests the caller saw since its last watch (they turn an `auto` room on).
 */
export const roomWatchFunction: GearsFunction<
  { sale: RoomSale; customerIds: readonly string[]; arrivals?: number },
  RoomWatch
> = {
  name: 'popup_room_watch',
  readOnly: false,
  keys: roomKeys,
  args: ({ sale, customerIds, arrivals = 0 }) => {
    if (customerIds.length > MAX_WATCHED)
      throw new RangeError(`popup_room_watch takes at most ${MAX_WATCHED} customers`);
    return [...saleArgs(sale), String(arrivals), ...customerIds];
  },
  parse: (reply) => {
    const [on, closed, rate, phase, now, waiting, early, ...pairs] = reply as unknown[];
    const customers: Whereabouts[] = [];
    for (let i = 0; i < pairs.length; i += 2) customers.push(whereabouts(pairs[i], pairs[i + 1]));
    return {
      on: on === '1',
      closed: Number(closed) === 1,
      rate: Number(rate),
      phase: phase as SalePhase,
      now: Number(now),
      waiting: Number(waiting),
      early: Number(early),
      customers,
    };
  },
};

/** `popup_room_status` (read-only): the room's figures. */
export const roomStatusFunction: GearsFunction<void, RoomStatus> = {
  name: 'popup_room_status',
  readOnly: true,
  keys: (sale) => [sale.room.settings, sale.room.line, sale.room.early],
  args: () => [],
  parse: (reply) => {
    const flat = reply as unknown[];
    const fields = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) fields.set(String(flat[i]), Number(flat[i + 1]));
    const num = (field: string) => fields.get(field) ?? 0;
    return {
      on: num('on') === 1,
      closed: num('closed') === 1,
      rate: num('rate'),
      waiting: num('waiting'),
      early: num('early'),
      joined: num('joined'),
      admitted: num('admitted'),
      abandoned: num('abandoned'),
      estimateError: num('estimateError') < 0 ? null : num('estimateError') / 1_000_000,
      auto: num('auto') === 1,
      autoOnAt: num('autoOnAt') > 0 ? num('autoOnAt') : null,
    };
  },
};
