import type { GearsFunction } from '../gears-function';

/** The operator's switch; a closed sale rejects every order as `closed`. */
export type SaleState = 'open' | 'closed';

/** `popup_set_sale_state`: switches the sale open or closed; replies the state before. */
export const setSaleStateFunction: GearsFunction<SaleState, SaleState> = {
  name: 'popup_set_sale_state',
  readOnly: false,
  keys: (sale) => [sale.state],
  args: (state) => [state],
  parse: (reply) => String(reply) as SaleState,
};
