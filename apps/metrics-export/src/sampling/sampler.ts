import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SaleGears } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { METRICS_CONFIG, SALE_KEYS, type MetricsConfig } from '../app/metrics-config';
import { REDIS } from '../app/redis.provider';
import { DecisionLatencies } from '../latency/decision-latencies';
import { salePoints } from '../series/sale-points';
import { seriesKeys, type SeriesKeys } from '../series/series-keys';
import { SeriesWriter } from '../series/series-writer';
import { readSample, sampledStreams, type SaleSample, type SampledStream } from './sale-sample';

/**
 * Every METRICS_INTERVAL_MS: reads the sale and writes a point to each of its series. Rounds never overlap, and a
 * Redis outage only skips rounds: it is logged once, and sampling resumes when Redis answers again.
 */
@Injectable()
export class Sampler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Sampler.name);
  private readonly gears: SaleGears;
  private readonly streams: readonly SampledStream[];
  private readonly series: SeriesKeys;
  private last: SaleSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SALE_KEYS) sale: SaleKeys,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    private readonly latencies: DecisionLatencies,
    private readonly writer: SeriesWriter,
  ) {
    this.gears = new SaleGears(redis, sale);
    this.streams = sampledStreams(sale);
    this.series = seriesKeys(sale);
  }

  onApplicationBootstrap(): void {
    this.tick();
  }

  /** Stops the timer and waits for a round in progress, so nothing uses the connection once it closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  /** The latest sample, for the Prometheus gauges; undefined until Redis first answered. */
  latest(): SaleSample | undefined {
    return this.last;
  }

  private tick(): void {
    const startedAt = Date.now();
    this.round = this.sample().finally(() => {
      if (this.stopped) return;
      const wait = Math.max(0, this.config.METRICS_INTERVAL_MS - (Date.now() - startedAt));
      this.timer = setTimeout(() => this.tick(), wait);
    });
  }

  private async sample(): Promise<void> {
    try {
      const sample = await readSample(this.redis, this.gears, this.streams);
      const previous = this.last;
      this.last = sample;
      await this.writer.write(salePoints(this.series, sample, previous, this.latencies.takePercentiles()));
      if (this.failing) this.logger.log('Redis answers again: sampling resumed');
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(
          `cannot sample the sale (${reason}); trying again every ${this.config.METRICS_INTERVAL_MS} ms`,
        );
      }
      this.failing = true;
    }
  }
}
