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
  /** The sale's phase, or how many sales are in each. */
  readonly phase: string;
  readonly stock: number;
  readonly left: number;
  /** Orders decided, every outcome. */
  readonly decided: number;
  readonly customersQueued: number;
  readonly ordersQueued: number;
  /** Nearest-rank p50 and p99 of submission → completion over the latest completions; null before the first. */
  readonly completion: { readonly p50: number; readonly p99: number } | null;
}

/**
 * The sales as Redis sees them, summed, on the terminal's live line about twice a second: stock, queues, pace,
 * latency.
 */
export class LiveView {
  private readonly gears: SaleGears[];
  private stage = '';
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private previous: { at: number; decided: number } | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly sales: readonly SaleKeys[],
    private readonly terminal: Terminal,
    private readonly startedAt = Date.now(),
  ) {
    this.gears = sales.map((sale) => new SaleGears(redis, sale));
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
    // One pipeline a sale: on a cluster each sale's keys are on a slot of their own.
    const samples = await Promise.all(this.sales.map((sale, index) => this.sampleSale(sale, this.gears[index])));
    const statuses = samples.map(({ status }) => status);
    return {
      at: Date.now(),
      phase: phases(statuses),
      stock: sum(statuses.map((status) => status.stock)),
      left: sum(statuses.map((status) => status.left)),
      decided: sum(statuses.map(({ counts }) => counts.completed + counts.closed + counts.duplicate + counts.sold_out)),
      customersQueued: sum(samples.map((one) => one.customersQueued)),
      ordersQueued: sum(samples.map((one) => one.ordersQueued)),
      completion: completionLatency(samples.flatMap((one) => one.latest)),
    };
  }

  private async sampleSale(sale: SaleKeys, gears: SaleGears) {
    const [status, replies] = await Promise.all([
      gears.status(),
      this.redis
        .pipeline()
        .xlen(sale.customers)
        .xlen(sale.orders)
        .xrevrange(sale.completed, '+', '-', 'COUNT', LATENCY_WINDOW)
        .exec(),
    ]);
    const [customersQueued, ordersQueued, latest] = (replies ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    }) as [number, number, [string, string[]][]];
    return { status, customersQueued, ordersQueued, latest };
  }

  private describe(sample: Sample): string {
    const { decided } = sample;
    const pace = this.previous ? ((decided - this.previous.decided) * 1000) / (sample.at - this.previous.at) : 0;
    this.previous = { at: sample.at, decided };
    const elapsed = ((sample.at - this.startedAt) / 1000).toFixed(1);
    const latency = sample.completion
      ? `completion p50 ${sample.completion.p50} ms, p99 ${sample.completion.p99} ms`
      : 'no completion yet';
    return [
      `${this.stage} ${elapsed}s`,
      `${sample.phase}, sold ${n(sample.stock - sample.left)}/${n(sample.stock)}`,
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

/** The phase of one sale, or of several in a few words: `12 open`, `3 sold_out, 9 open`. */
function phases(statuses: readonly SaleStatus[]): string {
  if (statuses.length === 1) return statuses[0].phase;
  const counts = new Map<string, number>();
  for (const { phase } of statuses) counts.set(phase, (counts.get(phase) ?? 0) + 1);
  return [...counts].map(([phase, count]) => `${count} ${phase}`).join(', ');
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const n = (value: number) => value.toLocaleString('en-US');
