import { Inject, Injectable } from '@nestjs/common';
import type { Meter } from '@opentelemetry/api';
import { rejectionReasons } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { METRICS_CONFIG, SALE_KEYS, type MetricsConfig } from '../app/metrics-config';
import { Sampler } from '../sampling/sampler';
import { METER } from './meter.provider';

/** Samples older than this many intervals are not shown: Prometheus then sees no value rather than a frozen one. */
const STALE_AFTER_INTERVALS = 3;

/**
 * The sampler's latest sample as OpenTelemetry observable instruments, read at each scrape. Counters come from
 * Redis's own counts (the sale's decision counters, each stream's entries-added), so they survive restarts of
 * this service.
 */
@Injectable()
export class SaleInstruments {
  constructor(
    @Inject(METER) meter: Meter,
    @Inject(SALE_KEYS) sale: SaleKeys,
    @Inject(METRICS_CONFIG) config: MetricsConfig,
    sampler: Sampler,
  ) {
    const stockLeft = meter.createObservableGauge('popup.stock.left', { description: 'Units left' });
    const stockInitial = meter.createObservableGauge('popup.stock.initial', {
      description: 'Units the sale started with',
    });
    const streamLength = meter.createObservableGauge('popup.stream.length', {
      description: 'Entries in each stream of the sale, by stream',
    });
    const backlog = meter.createObservableGauge('popup.backlog', {
      description:
        'Orders taken but not decided yet (the customers stream: the gears delete an entry when they decide its order)',
    });
    const entriesAdded = meter.createObservableCounter('popup.stream.entries_added', {
      description: 'Entries ever added to each stream of the sale (orders enqueued: stream="orders")',
    });
    const decisions = meter.createObservableCounter('popup.decisions', {
      description: 'Orders decided, by outcome and, for rejections, reason',
    });
    const staleAfterMs = STALE_AFTER_INTERVALS * config.METRICS_INTERVAL_MS;
    const base = { sale: sale.saleId };

    meter.addBatchObservableCallback(
      (result) => {
        const sample = sampler.latest();
        if (!sample || Date.now() - sample.readAt > staleAfterMs) return;
        const { status, streams } = sample;
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
      },
      [stockLeft, stockInitial, streamLength, backlog, entriesAdded, decisions],
    );
  }
}
