import { Inject, Injectable } from '@nestjs/common';
import type { Histogram, Meter } from '@opentelemetry/api';
import type { Completion, Rejection } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { percentiles } from '@popup-store/stats';
import { SALE_KEYS } from '../app/metrics-config';
import { METER } from '../otel/meter.provider';
import { SALE_METRICS } from '../otel/sale-metrics';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export type Quantile = keyof Percentiles;

/** 1 ms to 10 s: a decision inside Redis takes microseconds, a backlog in front of it seconds. */
const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/** Beyond this many completions between two samples, the percentiles are taken over the first ones only. */
const MAX_WINDOW = 100_000;

/**
 * Submission → decision latency of the orders the transport hands over: every one goes into the histogram, and the
 * completions seen since the last sample give that sample's p50/p95/p99.
 */
@Injectable()
export class DecisionLatencies {
  private readonly histogram: Histogram;
  private window: number[] = [];

  constructor(
    @Inject(METER) meter: Meter,
    @Inject(SALE_KEYS) private readonly sale: SaleKeys,
  ) {
    this.histogram = meter.createHistogram(SALE_METRICS.orderLatency.instrument, {
      unit: 'ms',
      description: SALE_METRICS.orderLatency.description,
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
    });
  }

  completed(completions: readonly Completion[]): void {
    for (const { submittedAt, completedAt } of completions) {
      const ms = latency(submittedAt, completedAt);
      this.histogram.record(ms, { sale: this.sale.saleId, outcome: 'completed' });
      if (this.window.length < MAX_WINDOW) this.window.push(ms);
    }
  }

  rejected(rejections: readonly Rejection[]): void {
    for (const { submittedAt, decidedAt } of rejections) {
      this.histogram.record(latency(submittedAt, decidedAt), { sale: this.sale.saleId, outcome: 'rejected' });
    }
  }

  /** The percentiles of the completions seen since the previous call, which starts a new window; undefined if none. */
  takePercentiles(): Percentiles | undefined {
    const window = this.window;
    this.window = [];
    if (window.length === 0) return undefined;
    const { p50, p95, p99 } = percentiles(window);
    return { p50, p95, p99 };
  }
}

// submittedAt is the intake's clock and the decision time Redis's: a small skew must not make a latency negative.
function latency(submittedAt: number, decidedAt: number): number {
  return Math.max(0, decidedAt - submittedAt);
}
