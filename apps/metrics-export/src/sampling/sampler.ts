import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SaleGears, type SaleWork } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { METRICS_CONFIG, type MetricsConfig } from '../app/metrics-config';
import { REDIS } from '../app/redis.provider';
import { DecisionLatencies } from '../latency/decision-latencies';
import { salePoints } from '../series/sale-points';
import { seriesKeys, type SeriesKeys } from '../series/series-keys';
import { SeriesWriter } from '../series/series-writer';
import { readSample, sampledStreams, type SaleSample, type SampledStream } from './sale-sample';

/** One sale being sampled: what its rounds read and write, and its latest sample. */
interface SampledSale {
  readonly sale: SaleKeys;
  readonly gears: SaleGears;
  readonly streams: readonly SampledStream[];
  readonly series: SeriesKeys;
  last: SaleSample | undefined;
  failing: boolean;
}

/**
 * Every METRICS_INTERVAL_MS: reads each sale served (LiveSales) and writes a point to each of its series. Rounds
 * never overlap, and a Redis outage only skips rounds: it is logged once per sale, and sampling resumes when Redis
 * answers again.
 */
@Injectable()
export class Sampler implements SaleWork, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Sampler.name);
  private readonly sales = new Map<string, SampledSale>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    private readonly latencies: DecisionLatencies,
    private readonly writer: SeriesWriter,
  ) {}

  onApplicationBootstrap(): void {
    this.tick();
  }

  /** Stops the timer and waits for a round in progress, so nothing uses the connection once it closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  async serve(sale: SaleKeys): Promise<void> {
    if (this.sales.has(sale.saleId)) return;
    this.sales.set(sale.saleId, {
      sale,
      gears: new SaleGears(this.redis, sale),
      streams: sampledStreams(sale),
      series: seriesKeys(sale),
      last: undefined,
      failing: false,
    });
  }

  /** Stops sampling the sale after the round under way: its gauges go stale and then unreported. */
  async retire(sale: SaleKeys): Promise<void> {
    await this.round;
    this.sales.delete(sale.saleId);
    // The completions seen since its last sample would otherwise wait for a sample that never comes.
    this.latencies.takePercentiles(sale);
  }

  /** The latest sample of each sale sampled, for the Prometheus gauges; a sale Redis never answered for has none. */
  latest(): Array<{ readonly sale: SaleKeys; readonly sample: SaleSample }> {
    return [...this.sales.values()].flatMap(({ sale, last }) => (last ? [{ sale, sample: last }] : []));
  }

  private tick(): void {
    const startedAt = Date.now();
    this.round = Promise.all([...this.sales.values()].map((sampled) => this.sample(sampled))).then(() => {
      if (this.stopped) return;
      const wait = Math.max(0, this.config.METRICS_INTERVAL_MS - (Date.now() - startedAt));
      this.timer = setTimeout(() => this.tick(), wait);
    });
  }

  private async sample(sampled: SampledSale): Promise<void> {
    try {
      const sample = await readSample(this.redis, sampled.gears, sampled.streams);
      const previous = sampled.last;
      sampled.last = sample;
      const latency = this.latencies.takePercentiles(sampled.sale);
      await this.writer.write(salePoints(sampled.series, sample, previous, latency));
      if (sampled.failing) this.logger.log(`Redis answers again: sampling resumed (sale ${sampled.sale.saleId})`);
      sampled.failing = false;
    } catch (error) {
      if (!sampled.failing) {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(
          `cannot sample sale ${sampled.sale.saleId} (${reason}); trying again every ${this.config.METRICS_INTERVAL_MS} ms`,
        );
      }
      sampled.failing = true;
    }
  }
}
