import { createNoopMeter } from '@opentelemetry/api';
import { saleKeys } from '@popup-store/keys';
import { DecisionLatencies } from './decision-latencies';

describe('DecisionLatencies', () => {
  const sale = saleKeys('popup');
  const completion = (latency: number, i: number) => ({
    orderId: `o${i}`,
    customerId: `c${i}`,
    unit: i + 1,
    submittedAt: 1000,
    completedAt: 1000 + latency,
  });

  it('gives nearest-rank percentiles of the completions since the last call, then starts over', () => {
    const latencies = new DecisionLatencies(createNoopMeter());
    latencies.completed(
      sale,
      Array.from({ length: 100 }, (_, i) => completion(100 - i, i)),
    );
    expect(latencies.takePercentiles(sale)).toEqual({ p50: 50, p95: 95, p99: 99 });
    expect(latencies.takePercentiles(sale)).toBeUndefined();
    latencies.completed(sale, [completion(7, 0)]);
    expect(latencies.takePercentiles(sale)).toEqual({ p50: 7, p95: 7, p99: 7 });
  });

  it('counts a decision stamped before its submission (clock skew) as 0 ms', () => {
    const latencies = new DecisionLatencies(createNoopMeter());
    latencies.completed(sale, [completion(-3, 0)]);
    expect(latencies.takePercentiles(sale)).toEqual({ p50: 0, p95: 0, p99: 0 });
  });
});
