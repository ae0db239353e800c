import type { RejectionReason } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Quantile } from '../latency/decision-latencies';

/** One series: its key and the labels RedisTimeSeries files it under (`TS.MRANGE … FILTER sale=popup metric=len`). */
export interface Series {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What a rate counts, per second. */
export type RateOf = 'completed' | 'rejected' | 'decisions';

/**
 * The keys of the sale's time series. They carry the sale's hash tag, so a cluster keeps them on the sale's slot;
 * `len:<stream>` and `enqueue:<stream>` are the original demo's `ts:len:<stream>` and `ts:enqueue:<stream>`.
 */
export function seriesKeys(sale: SaleKeys) {
  const series = (path: string, metric: string, labels: Record<string, string>): Series => ({
    key: `${sale.tag}:ts:${path}`,
    labels: { sale: sale.saleId, metric, ...labels },
  });
  return {
    /** Entries in a stream now. */
    length: (stream: string) => series(`len:${stream}`, 'len', { stream }),
    /** Entries added to a stream per second. */
    enqueue: (stream: string) => series(`enqueue:${stream}`, 'enqueue', { stream }),
    stockLeft: series('stock:left', 'stock', { stock: 'left' }),
    stockInitial: series('stock:initial', 'stock', { stock: 'initial' }),
    /** Decisions per second. */
    rate: (of: RateOf) => series(`rate:${of}`, 'rate', { of }),
    /** Rejections so far, by reason. */
    rejections: (reason: RejectionReason) => series(`rejections:${reason}`, 'rejections', { reason }),
    /** Submission → completion in ms, over the completions seen since the previous point. */
    latency: (quantile: Quantile) => series(`latency:${quantile}`, 'latency', { quantile }),
  };
}

export type SeriesKeys = ReturnType<typeof seriesKeys>;
