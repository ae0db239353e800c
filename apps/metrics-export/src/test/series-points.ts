import type { Redis } from 'ioredis';
import type { SeriesBackend } from '../series/series-writer';

/** The latest value of a series, whichever backend holds it; undefined while it has no point. */
export async function lastValue(redis: Redis, key: string, backend: SeriesBackend): Promise<number | undefined> {
  if (!(await redis.exists(key))) return undefined;
  if (backend === 'timeseries') {
    const [, value] = (await redis.call('TS.GET', key)) as [number, string];
    return Number(value);
  }
  const [entry] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  const fields = entry?.[1] ?? [];
  return Number(fields[fields.indexOf('value') + 1]);
}

/** How many points a series holds. */
export async function pointCount(redis: Redis, key: string, backend: SeriesBackend): Promise<number> {
  if (!(await redis.exists(key))) return 0;
  if (backend === 'timeseries') return ((await redis.call('TS.RANGE', key, '-', '+')) as unknown[]).length;
  return redis.xlen(key);
}
