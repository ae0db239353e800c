import { rejectionReasons } from '@popup-store/contracts';
import type { SaleStatus } from '@popup-store/gears-client';
import type { Percentiles, Quantile } from '../latency/decision-latencies';
import type { SaleSample } from '../sampling/sale-sample';
import type { Series, SeriesKeys } from './series-keys';

/** A value for one series, at the time it is written. */
export interface SeriesPoint extends Series {
  readonly value: number;
}

const quantiles: readonly Quantile[] = ['p50', 'p95', 'p99'];

/**
 * The points one sample gives: levels always, rates once there is a previous sample to count from, percentiles
 * when completions were seen since the previous sample (no point rather than a made-up 0).
 */
export function salePoints(
  keys: SeriesKeys,
  sample: SaleSample,
  previous: SaleSample | undefined,
  latency: Percentiles | undefined,
): SeriesPoint[] {
  const { status } = sample;
  const points: SeriesPoint[] = [
    { ...keys.stockLeft, value: status.left },
    { ...keys.stockInitial, value: status.stock },
    ...rejectionReasons.map((reason) => ({ ...keys.rejections(reason), value: status.counts[reason] })),
    ...Object.entries(sample.streams).map(([name, stream]) => ({ ...keys.length(name), value: stream.length })),
  ];
  if (latency) points.push(...quantiles.map((quantile) => ({ ...keys.latency(quantile), value: latency[quantile] })));
  const seconds = previous ? (status.now - previous.status.now) / 1000 : 0;
  if (!previous || seconds <= 0) return points;

  // A counter below its previous value was reset (the sale reconfigured, a stream deleted): count from zero.
  const perSecond = (now: number, before: number) => (now >= before ? now - before : now) / seconds;
  for (const [name, stream] of Object.entries(sample.streams)) {
    const before = previous.streams[name]?.entriesAdded;
    if (stream.entriesAdded !== undefined && before !== undefined) {
      points.push({ ...keys.enqueue(name), value: perSecond(stream.entriesAdded, before) });
    }
  }
  const completed = perSecond(status.counts.completed, previous.status.counts.completed);
  const rejected = perSecond(rejections(status), rejections(previous.status));
  points.push(
    { ...keys.rate('completed'), value: completed },
    { ...keys.rate('rejected'), value: rejected },
    { ...keys.rate('decisions'), value: completed + rejected },
  );
  return points;
}

function rejections({ counts }: SaleStatus): number {
  return counts.closed + counts.duplicate + counts.sold_out;
}
