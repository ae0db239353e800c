import { Inject, Injectable } from '@nestjs/common';
import type { Meter } from '@opentelemetry/api';
import { rejectionReasons } from '@popup-store/contracts';
import { METRICS_CONFIG, type MetricsConfig } from '../app/metrics-config';
import { Sampler } from '../sampling/sampler';
import { METER } from './meter.provider';
import { SALE_METRICS, type SaleMetric } from './sale-metrics';

/** Samples older than this many intervals are not shown: Prometheus then sees no value rather than a frozen one. */
const STALE_AFTER_INTERVALS = 3;

/**
 * The sampler's latest sample of each sale as OpenTelemetry observable instruments (labelled `sale`), read at each
 * scrape. Counters come from
 * Redis's own counts (the sale's decision counters, each stream's entries-added), so they survive restarts of
 * this service.
 */
@Injectable()
export class SaleInstruments {
  constructor(@Inject(METER) meter: Meter, @Inject(METRICS_CONFIG) config: MetricsConfig, sampler: Sampler) {
    const gauge = ({ instrument, description }: SaleMetric) => meter.createObservableGauge(instrument, { description });
    const counter = ({ instrument, description }: SaleMetric) =>
      meter.createObservableCounter(instrument, { description });
    const stockLeft = gauge(SALE_METRICS.stockLeft);
    const stockInitial = gauge(SALE_METRICS.stockInitial);
    const streamLength = gauge(SALE_METRICS.streamLength);
    const backlog = gauge(SALE_METRICS.backlog);
    const entriesAdded = counter(SALE_METRICS.entriesAdded);
    const decisions = counter(SALE_METRICS.decisions);
    const roomWaiting = gauge(SALE_METRICS.roomWaiting);
    const roomAdmitted = counter(SALE_METRICS.roomAdmitted);
    const roomAbandoned = counter(SALE_METRICS.roomAbandoned);
    const roomRate = gauge(SALE_METRICS.roomRate);
    const roomEstimateError = gauge(SALE_METRICS.roomEstimateError);
    const staleAfterMs = STALE_AFTER_INTERVALS * config.METRICS_INTERVAL_MS;

    meter.addBatchObservableCallback(
      (result) => {
        for (const { sale, sample } of sampler.latest()) {
          if (Date.now() - sample.readAt > staleAfterMs) continue;
          const base = { sale: sale.saleId };
          const { status, room, streams } = sample;
          result.observe(stockLeft, status.left, base);
          result.observe(stockInitial, status.stock, base);
          result.observe(backlog, streams['customers']?.length ?? 0, base);
          for (const [stream, { length, entriesAdded: added }] of Object.entries(streams)) {
            result.observe(streamLength, length, { ...base, stream });
            if (added !== undefined) result.observe(entriesAdded, added, { ...base, stream });
          }
          result.observe(decisions, status.counts.completed, { ...base, outcome: 'completed' });
          for (const reason of rejectionReasons) {
            result.observe(decisions, status.counts[reason], { ...base, outcome: 'rejected', reason });
          }
          result.observe(roomWaiting, room.waiting, { ...base, where: 'line' });
          result.observe(roomWaiting, room.early, { ...base, where: 'early' });
          result.observe(roomAdmitted, room.admitted, base);
          result.observe(roomAbandoned, room.abandoned, base);
          result.observe(roomRate, room.on ? room.rate : 0, base);
          if (room.estimateError !== null) result.observe(roomEstimateError, room.estimateError, base);
        }
      },
      [
        stockLeft,
        stockInitial,
        streamLength,
        backlog,
        entriesAdded,
        decisions,
        roomWaiting,
        roomAdmitted,
        roomAbandoned,
        roomRate,
        roomEstimateError,
      ],
    );
  }
}
