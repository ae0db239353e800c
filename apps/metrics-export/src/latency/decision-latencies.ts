import { Inject, Injectable } from '@nestjs/common';
import type { Histogram, Meter } from '@opentelemetry/api';
import type { Completion, Rejection } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { percentiles } from '@popup-store/stats';
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
 * Submission → decision latency of the orders the transport hands over, per sale: every one goes into the
 * histogram (labelled with its sale), and the completions of a sale seen since its last sample give that sample's
 * p50/p95/p99.
 */
@Injectable()
export class DecisionLatencies {
  private readonly histogram: Histogram;
  private readonly windows = new Map<string, number[]>();

  constructor(@Inject(METER) meter: Meter) {
    this.histogram = meter.createHistogram(SALE_METRICS.orderLatency.instrument, {
      unit: 'ms',
      description: SALE_METRICS.orderLatency.description,
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
    });
  }

  completed(sale: SaleKeys, completions: readonly Completion[]): void {
    let window = this.windows.get(sale.saleId);
    if (!window) this.windows.set(sale.saleId, (window = []));
    for (const { submittedAt, completedAt } of completions) {
      const ms = latency(submittedAt, completedAt);
      this.histogram.record(ms, { sale: sale.saleId, outcome: 'completed' });
      if (window.length < MAX_WINDOW) window.push(ms);
    }
  }

  rejected(sale: SaleKeys, rejections: readonly Rejection[]): void {
    for (const { submittedAt, decidedAt } of rejections) {
      this.histogram.record(latency(submittedAt, decidedAt), { sale: sale.saleId, outcome: 'rejected' });
    }
  }

  /**
   * The percentiles of the sale's completions seen since the previous call for it, which starts a new window;
   * undefined if none.
   */
  takePercentiles(sale: SaleKeys): Percentiles | undefined {
    const window = this.windows.get(sale.saleId);
    this.windows.delete(sale.saleId);
    if (!window || window.length === 0) return undefined;
    const { p50, p95, p99 } = percentiles(window);
    return { p50, p95, p99 };
  }
}

// submittedAt is the intake's clock and the decision time Redis's: a small skew must not make a latency negative.
function latency(submittedAt: number, decidedAt: number): number {
  return Math.max(0, decidedAt - submittedAt);
}
