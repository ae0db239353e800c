import type { GearsFunction } from '../gears-function';

export interface SaleConfig {
  /** Initial stock, an integer >= 0. */
  readonly stock: number;
  /** Window start, ms since the epoch (inclusive). */
  readonly startsAt: number;
  /** Window end, ms since the epoch (exclusive). */
  readonly endsAt: number;
  /** Start over a sale that already sold units: its buyers, decisions and counters are deleted. */
  readonly force?: boolean;
}

/** `popup_configure_sale`: sets stock and window and opens the sale; replies the units sold before (0 unless forced). */
export const configureSaleFunction: GearsFunction<SaleConfig, number> = {
  name: 'popup_configure_sale',
  readOnly: false,
  keys: (sale) => [sale.state, sale.buyers, sale.decisions],
  args: ({ stock, startsAt, endsAt, force = false }) => [String(stock), String(startsAt), String(endsAt), force ? '1' : '0'],
  parse: (reply) => Number(reply),
};
