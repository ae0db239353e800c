import type { RunArchive } from '@popup-store/keys';
import type { GearsFunction } from '../gears-function';

export interface SaleConfig {
  /** Initial stock, an integer >= 0. */
  readonly stock: number;
  /** Window start, ms since the epoch (inclusive). */
  readonly startsAt: number;
  /** Window end, ms since the epoch (exclusive). */
  readonly endsAt: number;
  /** Start over a sale that already sold units: a new run, the earlier run's records archived (docs/keys.md). */
  readonly force?: boolean;
}

export interface ConfiguredSale {
  /** Units sold before: 0 unless the call started the sale over. */
  readonly soldBefore: number;
  /** The sale's run now (1, then one more per start-over). */
  readonly run: number;
}

/** `popup_configure_sale`: sets stock and window and opens the sale; a start-over (force) begins a new run. */
export const configureSaleFunction: GearsFunction<SaleConfig, ConfiguredSale> = {
  name: 'popup_configure_sale',
  readOnly: false,
  keys: (sale) => runKeys(sale),
  args: ({ stock, startsAt, endsAt, force = false }) => [
    String(stock),
    String(startsAt),
    String(endsAt),
    force ? '1' : '0',
  ],
  parse: (reply) => {
    const [soldBefore, run] = reply as [number, number];
    return { soldBefore: Number(soldBefore), run: Number(run) };
  },
};

/** The keys a run owns, in the function's KEYS order: a start-over archives each of them (runArchive). */
export function runKeys(sale: RunArchive): string[] {
  return [
    sale.state,
    sale.buyers,
    sale.decisions,
    sale.customers,
    sale.orders,
    sale.completed,
    sale.rejected,
    sale.alerts,
    sale.audit,
    sale.auditBuyers,
    sale.auditUnits,
    sale.report,
  ];
}
