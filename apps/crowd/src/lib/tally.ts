/** What the crowd saw: answers by status, accepted tickets, and the latency of each answer. */
export class Tally {
  readonly statuses: Record<string, number> = {};
  readonly accepted: string[] = [];
  sent = 0;
  retries = 0;
  networkErrors = 0;
  private latencies: number[] = [];

  answer(status: number | string, latencyMs: number): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    this.latencies.push(latencyMs);
  }

  get answered(): number {
    return this.latencies.length;
  }

  /** Nearest-rank percentiles over every answer. */
  latency(): { p50: number; p95: number; p99: number; max: number } {
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : 0;
    return { p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(at(1)) };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
