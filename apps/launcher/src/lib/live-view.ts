import { completionContract } from '@popup-store/contracts';
import { percentiles } from '@popup-store/stats';
import { SaleGears, type SaleStatus } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import { decodeEntry } from '@popup-store/streams-transport';
import type { RedisConnection } from '@popup-store/redis-connection';
import type { Terminal } from './terminal';

const EVERY_MS = 500;
/** Completion latency is read from this many of the latest completions: cheap, and recent enough to be live. */
const LATENCY_WINDOW = 200;

interface Sample {
  readonly at: number;
  readonly status: SaleStatus;
  readonly customersQueued: number;
  readonly ordersQueued: number;
  /** Nearest-rank p50 and p99 of submission → completion over the latest completions; null before the first. */
  readonly completion: { readonly p50: number; readonly p99: number } | null;
}

/** The sale as Redis sees it, on the terminal's live line about twice a second: stock, queues, pace, latency. */
export class LiveView {
  private readonly gears: SaleGears;
  private stage = '';
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private previous: { at: number; decided: number } | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly sale: SaleKeys,
    private readonly terminal: Terminal,
    private readonly startedAt = Date.now(),
  ) {
    this.gears = new SaleGears(redis, sale);
  }

  /** Starts, or goes on under a new name for what the sale is doing (crowd, draining, closing). */
  show(stage: string): void {
    this.stage = stage;
    // A slow Redis must not pile samples up: a tick while the last sample is out is skipped.
    this.timer ??= setInterval(() => {
      this.sampling ??= this.refresh().finally(() => (this.sampling = undefined));
    }, EVERY_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  private async refresh(): Promise<void> {
    try {
      this.terminal.status(this.describe(await this.sample()));
    } catch (error) {
      this.terminal.status(`${this.stage}: cannot read the sale (${error instanceof Error ? error.message : error})`);
    }
  }

  private async sample(): Promise<Sample> {
    const [status, replies] = await Promise.all([
      this.gears.status(),
      this.redis
        .pipeline()
        .xlen(this.sale.customers)
        .xlen(this.sale.orders)
        .xrevrange(this.sale.completed, '+', '-', 'COUNT', LATENCY_WINDOW)
        .exec(),
    ]);
    const [customersQueued, ordersQueued, latest] = (replies ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    }) as [number, number, [string, string[]][]];
    return { at: Date.now(), status, customersQueued, ordersQueued, completion: completionLatency(latest) };
  }

  private describe(sample: Sample): string {
    const { status } = sample;
    const { completed, closed, duplicate, sold_out } = status.counts;
    const decided = completed + closed + duplicate + sold_out;
    const pace = this.previous ? ((decided - this.previous.decided) * 1000) / (sample.at - this.previous.at) : 0;
    this.previous = { at: sample.at, decided };
    const elapsed = ((sample.at - this.startedAt) / 1000).toFixed(1);
    const latency = sample.completion
      ? `completion p50 ${sample.completion.p50} ms, p99 ${sample.completion.p99} ms`
      : 'no completion yet';
    return [
      `${this.stage} ${elapsed}s`,
      `${status.phase}, sold ${n(status.stock - status.left)}/${n(status.stock)}`,
      `queued ${n(sample.customersQueued)} customers, ${n(sample.ordersQueued)} orders`,
      `${n(Math.max(0, Math.round(pace)))} decisions/s`,
      latency,
    ].join(' | ');
  }
}

function completionLatency(entries: [string, string[]][]): Sample['completion'] {
  const latencies = entries.flatMap(([, fields]) => {
    const record = decodeEntry(completionContract, fields);
    return record.ok ? [record.data.completedAt - record.data.submittedAt] : [];
  });
  if (!latencies.length) return null;
  const { p50, p99 } = percentiles(latencies);
  return { p50, p99 };
}

const n = (value: number) => value.toLocaleString('en-US');
