import type { GearsFunction } from '../gears-function';
import type { SaleState } from './set-sale-state';

/** Where the sale stands now: `closed` is the operator's switch, the others follow from the window and stock. */
export type SalePhase = 'unconfigured' | 'closed' | 'scheduled' | 'open' | 'sold_out' | 'ended';

export interface SaleStatus {
  readonly phase: SalePhase;
  readonly state: SaleState;
  readonly stock: number;
  readonly left: number;
  /** ms since the epoch; null when unconfigured. */
  readonly startsAt: number | null;
  readonly endsAt: number | null;
  /** When the last unit went (or the first order met an empty stock); null while units are left. */
  readonly soldOutAt: number | null;
  /** Redis TIME when the status was read. */
  readonly now: number;
  /** Decisions so far, by outcome. */
  readonly counts: {
    readonly completed: number;
    readonly closed: number;
    readonly duplicate: number;
    readonly sold_out: number;
  };
  /** The run: 1, then one more per start-over (`configure` with force); earlier runs are archived (docs/keys.md). */
  readonly run: number;
  /**
   * Customer entries deleted without a decision of their own, each a second entry of an order decided before (an
   * intake retried a write whose WAIT failed in a failover, and the first had reached the replica after all).
   */
  readonly replayed: number;
}

/** `popup_sale_status` (read-only): the whole status in one round trip. */
export const saleStatusFunction: GearsFunction<void, SaleStatus> = {
  name: 'popup_sale_status',
  readOnly: true,
  keys: (sale) => [sale.state],
  args: () => [],
  parse: (reply) => {
    const fields = new Map<string, string | number>();
    const flat = reply as (string | number)[];
    for (let i = 0; i < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1] as string | number);
    const num = (field: string) => Number(fields.get(field));
    const time = (field: string) => (num(field) < 0 ? null : num(field));
    return {
      phase: fields.get('phase') as SalePhase,
      state: fields.get('state') as SaleState,
      stock: num('stock'),
      left: num('left'),
      startsAt: time('startsAt'),
      endsAt: time('endsAt'),
      soldOutAt: time('soldOutAt'),
      now: num('now'),
      counts: {
        completed: num('completed'),
        closed: num('closed'),
        duplicate: num('duplicate'),
        sold_out: num('sold_out'),
      },
      run: num('run'),
      replayed: num('replayed'),
    };
  },
};
