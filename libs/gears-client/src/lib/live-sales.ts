import { groupsOf, saleKeys, saleStreams, type SaleKeys, type ServiceName } from '@popup-store/keys';
import type { RedisConnection } from './gears-function';
import { SaleGears } from './sale-gears';
import { SaleRegistry } from './sale-registry';

/** What a service does per sale: its streams server's reads, the auditor's watch, the sampler's rounds. */
export interface SaleWork {
  /** Starts serving the sale; called again for a sale served already must change nothing. */
  serve(sale: SaleKeys): Promise<void>;
  /** Stops serving it: it is closed and this service has read it to its end. */
  retire(sale: SaleKeys): Promise<void>;
}

/** A streams server as LiveSales drives it (RedisStreamsServer's `serve` and `unserve`), by source = sale id. */
export interface SaleStreamsServer {
  serve(source: string, streams: Readonly<Record<string, string>>): Promise<void>;
  unserve(source: string): Promise<void>;
}

export interface LiveSalesOptions {
  /** A command connection whose user may read the registry, each sale's status and its streams' groups. */
  readonly redis: RedisConnection;
  /** Whose groups must have read a closed sale to its end before it stops being served. */
  readonly service: ServiceName;
  /** The sale served always (`SALE_ID`): specs and scripts configure it straight through the gears. */
  readonly defaultSaleId: string;
  /** Called in this order to serve a sale, and in this order to retire it. */
  readonly work: readonly SaleWork[];
  /** How often the registry is read. Default 250 ms, so a sale registered is served within a second. */
  readonly intervalMs?: number;
  /** Sales checked per poll for closed and drained (or, when retired, for new entries). Default 8. */
  readonly checksPerPoll?: number;
  readonly logger?: { log(message: string): void; warn(message: string): void };
}

interface KnownSale {
  readonly sale: SaleKeys;
  changedAt: number;
  serving: boolean;
  /** Its serve or retire under way: a sale is changed one step at a time, without holding up the poll. */
  work: Promise<void> | undefined;
}

/** The streams server's part of serving a sale: read the keys `service` reads in it, under the sale's id. */
export function streamsOf(server: SaleStreamsServer, service: ServiceName): SaleWork {
  return {
    serve: (sale) => server.serve(sale.saleId, saleStreams(sale, service)),
    retire: (sale) => server.unserve(sale.saleId),
  };
}

/**
 * Which sales a service serves: the default sale always, and every sale in the registry (`popup:sales`) while it is
 * live. The registry is read every intervalMs: a sale registered (or changed: its score moved) after this service
 * started is served at once. A sale closed (its state `closed`, or past `endsAt`) whose every stream this service
 * reads has nothing pending and nothing unread in its group is retired; a retired sale whose score moves, or whose
 * streams get new entries, is served again. Sales found in the registry at boot are checked before they are served,
 * so a registry of many old sales opens no connections for them. Each poll checks at most checksPerPoll sales.
 */
export class LiveSales {
  private readonly registry: SaleRegistry;
  private readonly sales = new Map<string, KnownSale>();
  private readonly intervalMs: number;
  private readonly checksPerPoll: number;
  private readonly defaultSale: SaleKeys;
  private startedAt = 0;
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private lastFailure = '';

  constructor(private readonly options: LiveSalesOptions) {
    this.registry = new SaleRegistry(options.redis);
    this.intervalMs = options.intervalMs ?? 250;
    this.checksPerPoll = options.checksPerPoll ?? 8;
    this.defaultSale = saleKeys(options.defaultSaleId);
  }

  /** Serves the default sale, reads the registry once, then keeps reading it. */
  async start(): Promise<void> {
    this.startedAt = Date.now();
    for (const work of this.options.work) await work.serve(this.defaultSale);
    await this.poll();
    this.schedule();
  }

  /** Stops reading the registry and waits for the steps under way; what is served stays served (the app closes it). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await Promise.all([...this.sales.values()].map((known) => known.work));
  }

  /** Nest's hook, for a LiveSales provided in a Nest app: it stops before the streams server closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** The ids of the sales served now, the default one first. */
  served(): string[] {
    const others = [...this.sales.values()].filter((known) => known.serving).map((known) => known.sale.saleId);
    return [this.defaultSale.saleId, ...others.sort()];
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => this.schedule());
    }, this.intervalMs);
  }

  private async poll(): Promise<void> {
    try {
      const registered = await this.registry.list();
      const listed = new Set<string>();
      for (const { saleId, changedAt } of registered) {
        if (saleId === this.defaultSale.saleId) continue;
        listed.add(saleId);
        const known = this.sales.get(saleId);
        if (!known) {
          const added: KnownSale = { sale: saleKeys(saleId), changedAt, serving: false, work: undefined };
          this.sales.set(saleId, added);
          // Changed since this process started: serve it now. Older: the round of checks decides.
          if (changedAt > this.startedAt) this.step(added, 'serve');
        } else if (known.changedAt !== changedAt) {
          known.changedAt = changedAt;
          if (!known.serving) this.step(known, 'serve');
        }
      }
      for (const known of [...this.sales.values()]) {
        if (listed.has(known.sale.saleId)) continue;
        // Taken out of the registry by an operator: no longer a sale to serve.
        this.sales.delete(known.sale.saleId);
        if (known.serving) this.step(known, 'retire');
      }
      await this.checkSome();
      this.lastFailure = '';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastFailure)
        this.options.logger?.warn(`live sales: reading the registry failed (${message})`);
      this.lastFailure = message;
    }
  }

  /** The next checksPerPoll sales, round robin: retires the served ones read to their end, serves the others that are not. */
  private async checkSome(): Promise<void> {
    const all = [...this.sales.values()];
    const count = Math.min(this.checksPerPoll, all.length);
    const picked = Array.from({ length: count }, (_, i) => all[(this.cursor + i) % all.length]);
    this.cursor = all.length === 0 ? 0 : (this.cursor + count) % all.length;
    await Promise.all(
      picked
        .filter((known) => known.work === undefined)
        .map(async (known) => {
          const done = await this.closedAndDrained(known.sale);
          if (known.work !== undefined || this.sales.get(known.sale.saleId) !== known) return;
          if (known.serving && done) this.step(known, 'retire');
          else if (!known.serving && !done) this.step(known, 'serve');
        }),
    );
  }

  private step(known: KnownSale, action: 'serve' | 'retire'): void {
    const previous = known.work ?? Promise.resolve();
    const run: Promise<void> = previous
      .then(() => this.apply(known, action))
      .finally(() => {
        if (known.work === run) known.work = undefined;
      });
    known.work = run;
  }

  private async apply(known: KnownSale, action: 'serve' | 'retire'): Promise<void> {
    const { sale } = known;
    const { work, logger } = this.options;
    if (this.stopped || known.serving === (action === 'serve')) return;
    try {
      if (action === 'serve') {
        for (const part of work) await part.serve(sale);
        known.serving = true;
        logger?.log(`serving sale ${sale.saleId}`);
      } else {
        known.serving = false;
        for (const part of work) await part.retire(sale);
        logger?.log(`sale ${sale.saleId} is closed and read to its end: no longer served`);
      }
    } catch (error) {
      // Not served: the round of checks tries again (a sale that is not closed and drained is served).
      known.serving = false;
      const message = error instanceof Error ? error.message : String(error);
      logger?.warn(`live sales: ${action} ${sale.saleId} failed (${message})`);
    }
  }

  /** Closed (the operator's switch or past its end) and, on every stream this service reads, nothing left to read. */
  private async closedAndDrained(sale: SaleKeys): Promise<boolean> {
    try {
      const { phase } = await new SaleGears(this.options.redis, sale).status();
      if (phase !== 'closed' && phase !== 'ended') return false;
      for (const { stream, group } of groupsOf(sale, this.options.service)) {
        if (!(await groupDrained(this.options.redis, stream, group))) return false;
      }
      return true;
    } catch {
      // Unknown is not drained: a served sale stays served, a retired one is served again to be sure.
      return false;
    }
  }
}

/** Whether `group` holds no pending entry of `stream` and has read every entry added to it. */
export async function groupDrained(redis: RedisConnection, stream: string, group: string): Promise<boolean> {
  const groups = (await redis.xinfo('GROUPS', stream).catch((error: Error) => {
    if (/no such key/i.test(error.message)) return [];
    throw error;
  })) as unknown[][];
  const info = groups.map(fieldsOf).find((fields) => fields.get('name') === group);
  // No group yet: this service never read the stream, which is drained only if it holds nothing.
  if (!info) return (await redis.xlen(stream)) === 0;
  if (Number(info.get('pending')) > 0) return false;
  const lag = info.get('lag');
  if (lag !== null && lag !== undefined) return Number(lag) === 0;
  // The lag is unknown after deletions inside the group's range: compare the last id it read with the last written.
  const last = fieldsOf((await redis.xinfo('STREAM', stream)) as unknown[]).get('last-generated-id');
  return info.get('last-delivered-id') === last;
}

function fieldsOf(flat: unknown[]): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
  return fields;
}
