import { rejectionReasons } from '@popup-store/contracts';
import { SaleGears } from '@popup-store/gears-client';
import { deadLetterStream, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';

/** Where metrics-export puts its points: RedisTimeSeries where the server knows TS.ADD, else capped streams. */
export type SeriesBackend = 'timeseries' | 'stream';

export async function seriesBackend(redis: Redis): Promise<SeriesBackend> {
  const [info] = (await redis.call('COMMAND', 'INFO', 'TS.ADD')) as unknown[];
  return info ? 'timeseries' : 'stream';
}

/** The streams metrics-export samples (docs/metrics.md), by the name their series keys carry. */
function sampledStreams(sale: SaleKeys): [name: string, key: string][] {
  const streams: [string, string][] = [
    ['customers', sale.customers],
    ['orders', sale.orders],
    ['completed', sale.completed],
    ['rejected', sale.rejected],
  ];
  return [
    ...streams,
    ...streams.map(([name, key]): [string, string] => [`${name}:dead-letter`, deadLetterStream(key)]),
  ];
}

/**
 * One sample of every series metrics-export writes for the sale `seriesSale` (key naming and labels of docs/metrics.md,
 * as in apps/metrics-export/src/series), valued from the played sale `from`: TS.ADD with retention, ON_DUPLICATE LAST
 * and labels on RedisTimeSeries, else `XADD … MAXLEN ~ n * value v`. All points in one pipeline, as metrics-export does.
 */
export async function writeSeriesSample(
  redis: Redis,
  from: SaleKeys,
  seriesSale: SaleKeys,
  backend: SeriesBackend,
): Promise<void> {
  const status = await new SaleGears(redis, from).status();
  const points: [path: string, labels: Record<string, string>, value: number][] = [
    ['stock:left', { metric: 'stock', stock: 'left' }, status.left],
    ['stock:initial', { metric: 'stock', stock: 'initial' }, status.stock],
    ...rejectionReasons.map((reason): [string, Record<string, string>, number] => [
      `rejections:${reason}`,
      { metric: 'rejections', reason },
      status.counts[reason],
    ]),
    ...(['completed', 'rejected', 'decisions'] as const).map((of): [string, Record<string, string>, number] => [
      `rate:${of}`,
      { metric: 'rate', of },
      1,
    ]),
    ...(['p50', 'p95', 'p99'] as const).map((quantile): [string, Record<string, string>, number] => [
      `latency:${quantile}`,
      { metric: 'latency', quantile },
      30,
    ]),
  ];
  for (const [name, key] of sampledStreams(from)) {
    const length = await redis.xlen(key);
    points.push(
      [`len:${name}`, { metric: 'len', stream: name }, length],
      [`enqueue:${name}`, { metric: 'enqueue', stream: name }, length],
    );
  }
  const pipeline = redis.pipeline();
  for (const [path, labels, value] of points) {
    const key = `${seriesSale.tag}:ts:${path}`;
    if (backend === 'timeseries') {
      const flat = Object.entries({ sale: seriesSale.saleId, ...labels }).flat();
      pipeline.call(
        'TS.ADD',
        key,
        '*',
        String(value),
        'RETENTION',
        '3600000',
        'ON_DUPLICATE',
        'LAST',
        'LABELS',
        ...flat,
      );
    } else pipeline.call('XADD', key, 'MAXLEN', '~', '3600', '*', 'value', String(value));
  }
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}
