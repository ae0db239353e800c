import { percentiles } from '@popup-store/stats';

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
    const { p50, p95, p99, max } = percentiles(this.latencies);
    return { p50: round(p50), p95: round(p95), p99: round(p99), max: round(max) };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
