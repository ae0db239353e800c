import fc from 'fast-check';
import { nearestRank, percentiles } from './percentiles';

describe('percentiles', () => {
  it('takes the nearest rank: the smallest value at least that share of the values do not exceed', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(values)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, count: 100 });
    expect(percentiles([3, 1, 2])).toEqual({ p50: 2, p95: 3, p99: 3, max: 3, count: 3 });
    expect(nearestRank([10, 20], 0.5)).toBe(10);
    expect(nearestRank([10, 20], 0)).toBe(10);
  });

  it('answers zeros for no values, and leaves its input alone', () => {
    expect(percentiles([])).toEqual({ p50: 0, p95: 0, p99: 0, max: 0, count: 0 });
    const values = [3, 1, 2];
    percentiles(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('gives a value of the set, in order p50 ≤ p95 ≤ p99 ≤ max, whatever the values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), { minLength: 1 }), (values) => {
        const { p50, p95, p99, max } = percentiles(values);
        expect(p50 <= p95 && p95 <= p99 && p99 <= max).toBe(true);
        for (const p of [p50, p95, p99]) expect(values).toContain(p);
        expect(max).toBe(Math.max(...values));
      }),
    );
  });
});
