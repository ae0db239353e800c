/** Nearest-rank percentiles of a set of durations (ms); zeros for an empty set. */
export function percentiles(values: number[]): { p50: number; p95: number; p99: number; max: number; count: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => (sorted.length ? (sorted[Math.ceil(q * sorted.length) - 1] ?? 0) : 0);
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.length ? (sorted[sorted.length - 1] ?? 0) : 0,
    count: sorted.length,
  };
}
