import type { SaleKeys } from '@popup-store/keys';
import { orderDecision, type Decision } from './decision';
import { auditClaimsFunction, type AuditClaim, type CompletionToClaim } from './functions/audit-claims';
import { configureSaleFunction, type ConfiguredSale, type SaleConfig } from './functions/configure-sale';
import { decideOrdersFunction, type DecidedOrder, type OrderToDecide } from './functions/decide-orders';
import { saleStatusFunction, type SaleStatus } from './functions/sale-status';
import { setSaleStateFunction, type SaleState } from './functions/set-sale-state';
import { takeOrderFunction, type OrderToTake } from './functions/take-order';
import {
  roomConfigureFunction,
  roomJoinFunction,
  roomStatusFunction,
  roomWatchFunction,
  type RoomAnswer,
  type RoomSale,
  type RoomSettings,
  type RoomStatus,
  type RoomWatch,
} from './functions/waiting-room';
import { callGears, type CallOptions, type RedisConnection } from './gears-function';

/**
 * The popup functions bound to one sale and one connection. With `options.reload`, a call that finds the library
 * gone loads it again and goes on (see CallOptions).
 */
export class SaleGears {
  constructor(
    readonly redis: RedisConnection,
    readonly sale: SaleKeys,
    private readonly options: CallOptions = {},
  ) {}

  /** Sets stock and window and opens the sale; with `force`, a sale that sold units starts over as a new run. */
  configure(config: SaleConfig): Promise<ConfiguredSale> {
    return callGears(this.redis, configureSaleFunction, this.sale, config, this.options);
  }

  /** The operator's switch; the state before. */
  setState(state: SaleState): Promise<SaleState> {
    return callGears(this.redis, setSaleStateFunction, this.sale, state, this.options);
  }

  status(): Promise<SaleStatus> {
    return callGears(this.redis, saleStatusFunction, this.sale, undefined, this.options);
  }

  /** Decides orders read by `group` (fulfilment by default), each exactly once. */
  decide(orders: readonly OrderToDecide[], group?: string): Promise<DecidedOrder[]> {
    return callGears(this.redis, decideOrdersFunction, this.sale, { orders, group }, this.options);
  }

  /** Enters completions in the auditor's ledger where they are (1 to 1000 per call): what each claimed. */
  claimForAudit(completions: readonly CompletionToClaim[]): Promise<AuditClaim[]> {
    return callGears(this.redis, auditClaimsFunction, this.sale, completions, this.options);
  }

  /** Appends the order's customers entry unless its customer holds a unit: the entry's id, or null (nothing written). */
  takeOrder(order: OrderToTake): Promise<string | null> {
    return callGears(this.redis, takeOrderFunction, this.sale, order, this.options);
  }

  /** The waiting room's settings; whether it was on before. */
  configureRoom(settings: RoomSettings): Promise<boolean> {
    return callGears(this.redis, roomConfigureFunction, this.sale, settings, this.options);
  }

  /** A customer joins the line, or asks again where it stands; `sale` is the sale as last read (status()). */
  joinRoom(sale: RoomSale, customerId: string): Promise<RoomAnswer> {
    return callGears(this.redis, roomJoinFunction, this.sale, { sale, customerId }, this.options);
  }

  /**
   * Brings the room up to date and keeps the places of the customers listening (at most MAX_WATCHED); `arrivals`
   * are the sale's order requests this caller saw since its last watch (an `auto` room counts them).
   */
  watchRoom(sale: RoomSale, customerIds: readonly string[], arrivals = 0): Promise<RoomWatch> {
    return callGears(this.redis, roomWatchFunction, this.sale, { sale, customerIds, arrivals }, this.options);
  }

  roomStatus(): Promise<RoomStatus> {
    return callGears(this.redis, roomStatusFunction, this.sale, undefined, this.options);
  }

  /** The decision on one order, null while undecided. */
  decision(orderId: string): Promise<Decision | null> {
    return orderDecision(this.redis, this.sale, orderId);
  }
}
