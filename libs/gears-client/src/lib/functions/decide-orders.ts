import type { Order } from '@popup-store/contracts';
import { ConsumerGroup } from '@popup-store/keys';
import { parseDecision, type Decision } from '../decision';
import type { GearsFunction } from '../gears-function';

/** The library decides at most this many orders per call (Lua's unpack limit bounds its variadic commands). */
export const MAX_ORDERS_PER_CALL = 1000;

/** An order entry of the orders stream, as the function takes it. */
export interface OrderToDecide {
  /** The entry's id on the orders stream: acknowledged and deleted with the decision. */
  readonly entryId: string;
  readonly orderId: string;
  readonly customerId: string;
  /** ms since the epoch. */
  readonly submittedAt: number;
  /** The id of the customer's entry on the customers stream: deleted once the order is decided. */
  readonly customerEntryId: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * An orders-stream entry, decoded by the transport's codec, as the function takes it; the entry's trace context
 * goes with it, so the decision continues the order's trace.
 */
export function orderToDecide(
  entryId: string,
  order: Pick<Order, 'orderId' | 'customerId' | 'submittedAt' | 'customerEntryId'>,
  carrier: { readonly traceparent?: string; readonly tracestate?: string } = {},
): OrderToDecide {
  const { orderId, customerId, submittedAt, customerEntryId } = order;
  const { traceparent, tracestate } = carrier;
  return {
    entryId,
    orderId,
    customerId,
    submittedAt,
    customerEntryId,
    ...(traceparent ? { traceparent } : {}),
    ...(traceparent && tracestate ? { tracestate } : {}),
  };
}

export interface DecideOrdersInput {
  readonly orders: readonly OrderToDecide[];
  /** The consumer group that read the orders; `fulfilment` by default. */
  readonly group?: string;
}

export interface DecidedOrder {
  readonly entryId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly decision: Decision;
  /** The order had been decided before (a retried call or a duplicate entry): nothing changed this time. */
  readonly replayed: boolean;
  /** The order's trace context, as its entry carried it: the decision continues the order's trace. */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** `popup_decide_orders`: decides a batch exactly once; replies one decision per order, in order. */
export const decideOrdersFunction: GearsFunction<DecideOrdersInput, DecidedOrder[]> = {
  name: 'popup_decide_orders',
  readOnly: false,
  keys: (sale) => [sale.state, sale.buyers, sale.decisions, sale.orders, sale.customers, sale.completed, sale.rejected],
  args: ({ orders, group = ConsumerGroup.fulfilment }) => {
    const args = [group];
    for (const order of orders) {
      args.push(
        order.entryId,
        order.orderId,
        order.customerId,
        String(order.submittedAt),
        order.customerEntryId,
        order.traceparent ?? '',
        order.tracestate ?? '',
      );
    }
    return args;
  },
  parse: (reply, { orders }) => {
    const [decisions, replayed] = reply as [string[], number[]];
    const again = new Set(replayed);
    return decisions.map((decision, i) => {
      const { entryId, orderId, customerId, traceparent, tracestate } = orders[i] as OrderToDecide;
      return {
        entryId,
        orderId,
        customerId,
        decision: parseDecision(decision),
        replayed: again.has(i + 1),
        traceparent,
        tracestate,
      };
    });
  },
};
