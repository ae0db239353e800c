import { percentiles } from '@popup-store/stats';

/** What the crowd saw: answers by status, accepted tickets, and the latency of each answer. */
export class Tally {
  readonly statuses: Record<string, number> = {};
  readonly accepted: string[] = [];
  sent = 0;
  retries = 0;
  networkErrors = 0;
  private latencies: number[] = [];
  /** How long each person admitted by the waiting room waited in its line, ms. */
  private lineWaits: number[] = [];
  /** How long each HTTP request took to be answered (an order, a retry, a join or a look at the line), ms. */
  private responseTimes: number[] = [];

  answer(status: number | string, latencyMs: number): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    this.latencies.push(latencyMs);
  }

  /** One HTTP request answered (or failed) after `ms`: the store's answer time, whatever the person does next. */
  responded(ms: number): void {
    this.responseTimes.push(ms);
  }

  /** Nearest-rank percentiles over every HTTP request's answer time, and how many there were. */
  responses(): { count: number; p50: number; p95: number; p99: number; max: number } {
    const { count, p50, p95, p99, max } = percentiles(this.responseTimes);
    return { count, p50: round(p50), p95: round(p95), p99: round(p99), max: round(max) };
  }

  /** A person the waiting room admitted after `waitedMs` in line. */
  admitted(waitedMs: number): void {
    this.lineWaits.push(waitedMs);
  }

  /** People admitted through the line, and their waits (nearest-rank); undefined when no line was used. */
  line(): { admitted: number; p50: number; p99: number; max: number } | undefined {
    if (this.lineWaits.length === 0) return undefined;
    const { p50, p99, max } = percentiles(this.lineWaits);
    return { admitted: this.lineWaits.length, p50: round(p50), p99: round(p99), max: round(max) };
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
