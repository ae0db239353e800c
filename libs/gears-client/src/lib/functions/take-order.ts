import type { GearsFunction } from '../gears-function';

/** An order at the door: the customer, and the customers-stream entry as the transport's codec encoded it. */
export interface OrderToTake {
  readonly customerId: string;
  /** Field names and values in pairs: `v`, `data`, then the trace context (`encodeEntry`'s output). */
  readonly fields: readonly string[];
}

/**
 * `popup_take_order`: appends the entry to the customers stream unless the customer holds a unit, atomically; replies
 * the entry's id, or null when the customer holds a unit and nothing was written.
 */
export const takeOrderFunction: GearsFunction<OrderToTake, string | null> = {
  name: 'popup_take_order',
  readOnly: false,
  keys: (sale) => [sale.buyers, sale.customers],
  args: ({ customerId, fields }) => [customerId, ...fields],
  parse: (reply) => (reply === '' || reply === null ? null : String(reply)),
};
