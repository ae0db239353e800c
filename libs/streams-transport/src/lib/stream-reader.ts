import type { Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from './connection';
import { ensureGroup, isMissingGroup } from './consumer-group';
import { describeError } from './describe-error';
import type { EntryProcessor } from './entry-processor';
import type { ConsumerHealth } from './consumer-health';
import { InFlightBudget } from './in-flight-budget';
import type { FlatFields, RawEntry } from './codec';

export interface ReaderSettings {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly groupStartId: string;
  readonly maxReadsInFlight: number;
}

const MAX_BACKOFF_MS = 5000;

/**
 * Reads new entries of one stream for the group with a blocking XREADGROUP on a connection of its own, and hands
 * them to the processor without waiting for their handlers: reading goes on while the in-flight budget allows.
 */
export class StreamReader {
  private loop: Promise<void> = Promise.resolve();
  private readonly reads: InFlightBudget;
  /** CLIENT ID of the blocking connection, to unblock it on stop; unknown on a cluster or while reconnecting. */
  private clientId: number | undefined;

  constructor(
    private readonly commands: RedisClient,
    private readonly blocking: RedisClient,
    private readonly processor: EntryProcessor,
    private readonly budget: InFlightBudget,
    private readonly settings: ReaderSettings,
    private readonly logger: Logger,
    private readonly health: ConsumerHealth,
  ) {
    this.reads = new InFlightBudget(settings.maxReadsInFlight);
    // Asked on every (re)connection; until the answer comes, stop() waits the read out instead of unblocking it.
    blocking.on('ready', () => {
      if (!blocking.isCluster)
        void (blocking.client('ID') as Promise<number>).then(
          (id) => (this.clientId = id),
          () => undefined,
        );
    });
    blocking.on('close', () => (this.clientId = undefined));
  }

  /** Reads until the signal aborts; `stop` waits for the end. */
  start(signal: AbortSignal): void {
    this.loop = this.run(signal);
  }

  /**
   * Ends a read in progress (the signal must be aborted already) and waits for the loop to finish. CLIENT UNBLOCK
   * makes the blocked read return as if it timed out, so no entry is delivered to a read nobody listens to any
   * more. It is repeated because it may reach Redis before the read does; without it (cluster, Redis down) the
   * read ends by itself within its BLOCK time and a second.
   */
  async stop(): Promise<void> {
    let finished = false;
    void this.loop.then(() => (finished = true));
    while (!finished) {
      // Only on a live connection: queued while Redis is down, it would hold stop() for the connection's retries.
      if (this.clientId !== undefined && this.commands.status === 'ready') {
        await (this.commands.client('UNBLOCK', this.clientId) as Promise<unknown>).catch(() => undefined);
      }
      await Promise.race([this.loop, delay(20)]);
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const count = Math.min(this.settings.batchSize, this.budget.free);
      if (count === 0) {
        await this.budget.freed(signal);
        continue;
      }
      if (this.reads.free === 0) {
        await this.reads.freed(signal);
        continue;
      }
      if (this.blocking.status !== 'ready') {
        this.health.failing(this.settings.stream, `Redis connection ${this.blocking.status}`);
        await this.connected(signal);
        continue;
      }
      try {
        // A read that blocks is a stream read fine; after failures, only one that answers says so.
        if (failures === 0) this.health.reading(this.settings.stream);
        const entries = await this.read(count);
        failures = 0;
        this.health.reading(this.settings.stream);
        if (entries.length > 0) {
          this.budget.hold(entries.length);
          this.reads.hold(1);
          void this.processor.process(entries).then(() => {
            this.budget.release(entries.length);
            this.reads.release(1);
          });
        }
      } catch (error) {
        if (!signal.aborted) await this.recover(error, ++failures, signal);
      }
    }
  }

  private async read(count: number): Promise<Array<[string, FlatFields]>> {
    const { stream, group, consumer, blockMs } = this.settings;
    const reply = (await this.blocking.xreadgroup(
      'GROUP',
      group,
      consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      stream,
      '>',
    )) as Array<[string, RawEntry[]]> | null;
    // New entries ('>') always have fields; only re-reads of pending ones can come back deleted.
    return (reply?.[0]?.[1] ?? []) as Array<[string, FlatFields]>;
  }

  /** Resolves once the blocking connection is ready again, or the signal aborts. */
  private connected(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.blocking.off('ready', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.blocking.once('ready', done);
      signal.addEventListener('abort', done);
    });
  }

  private async recover(error: unknown, failures: number, signal: AbortSignal): Promise<void> {
    const { stream, group, groupStartId } = this.settings;
    const backoff = Math.min(100 * 2 ** (failures - 1), MAX_BACKOFF_MS);
    this.health.failing(stream, describeError(error));
    if (isMissingGroup(error)) {
      // The stream or its group vanished (a DEL, a Redis restarted empty): make them again and read on.
      const created = await ensureGroup(this.commands, stream, group, groupStartId).catch(() => false);
      if (created) {
        this.logger.warn(`${stream}: group ${group} was gone (${describeError(error)}); created it again`);
        this.health.recreated(stream, group);
        return;
      }
    }
    this.logger.warn(`${stream}: read failed (${describeError(error)}); retrying in ${backoff} ms`);
    await delay(backoff, undefined, { signal }).catch(() => undefined);
  }
}
