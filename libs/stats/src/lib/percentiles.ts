/** p50, p95, p99 and the largest of a set of values, and how many there were. */
export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

/**
 * The nearest-rank `q`-quantile of values sorted ascending: the smallest value that at least a share `q` of them
 * do not exceed. 0 for no values.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Nearest-rank percentiles of `values` (in any order; not modified); zeros for none. */
export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: nearestRank(sorted, 0.5),
    p95: nearestRank(sorted, 0.95),
    p99: nearestRank(sorted, 0.99),
    max: nearestRank(sorted, 1),
    count: sorted.length,
  };
}
