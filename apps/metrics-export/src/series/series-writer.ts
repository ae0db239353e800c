import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { METRICS_CONFIG, type MetricsConfig } from '../app/metrics-config';
import { REDIS } from '../app/redis.provider';
import type { SeriesPoint } from './sale-points';

/** Where points go: RedisTimeSeries where the server has it (Redis 8), else one capped stream per series. */
export type SeriesBackend = 'timeseries' | 'stream';

/** Asks the server whether it knows TS.ADD: COMMAND INFO answers nil for an unknown command. */
export async function detectBackend(redis: Redis): Promise<SeriesBackend> {
  const [info] = (await redis.call('COMMAND', 'INFO', 'TS.ADD')) as unknown[];
  return info ? 'timeseries' : 'stream';
}

/**
 * One point at the server's time. The first TS.ADD creates the series with its retention and labels; ON_DUPLICATE
 * LAST keeps the newer value if two points land on the same millisecond.
 */
export function tsAddArgs(point: SeriesPoint, retentionMs: number): string[] {
  const labels = Object.entries(point.labels).flat();
  return [
    'TS.ADD',
    point.key,
    '*',
    String(point.value),
    'RETENTION',
    String(retentionMs),
    'ON_DUPLICATE',
    'LAST',
    'LABELS',
    ...labels,
  ];
}

/**
 * One point as a stream entry `value <v>`, its id at the server's time: Grafana's Redis datasource plots an XRANGE
 * with the id's milliseconds as the timestamp. `MAXLEN ~` caps the stream cheaply, to whole radix-tree nodes.
 */
export function xaddArgs(point: SeriesPoint, maxLen: number): string[] {
  return ['XADD', point.key, 'MAXLEN', '~', String(maxLen), '*', 'value', String(point.value)];
}

/** Writes the points of one sample in one pipeline, to whichever backend the server offers (asked once). */
@Injectable()
export class SeriesWriter {
  private readonly logger = new Logger(SeriesWriter.name);
  private backend: SeriesBackend | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
  ) {}

  async write(points: readonly SeriesPoint[]): Promise<void> {
    const backend = (this.backend ??= await this.detect());
    const pipeline = this.redis.pipeline();
    for (const point of points) {
      const [command, ...args] =
        backend === 'timeseries'
          ? tsAddArgs(point, this.config.TS_RETENTION_MS)
          : xaddArgs(point, this.config.TS_FALLBACK_MAXLEN);
      pipeline.call(command as string, ...args);
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  private async detect(): Promise<SeriesBackend> {
    const backend = await detectBackend(this.redis);
    this.logger.log(
      backend === 'timeseries'
        ? 'series go to RedisTimeSeries (TS.ADD)'
        : `no RedisTimeSeries on this Redis: each series is a stream capped at about ${this.config.TS_FALLBACK_MAXLEN} points`,
    );
    return backend;
  }
}
