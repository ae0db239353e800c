import type { Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from './connection';
import { describeError } from './describe-error';
import type { EntryProcessor } from './entry-processor';
import type { InFlightBudget } from './in-flight-budget';
import type { FlatFields, RawEntry } from './codec';

export interface ReclaimSettings {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly batchSize: number;
  readonly minIdleMs: number;
  readonly reclaimIntervalMs: number;
}

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

/**
 * Delivers again the entries that stayed pending longer than minIdleMs: their consumer died, or their handler
 * failed. XAUTOCLAIM moves them to this consumer and counts the delivery; XPENDING tells the count, which decides
 * when an entry goes to the dead-letter stream.
 */
export class Reclaimer {
  constructor(
    private readonly redis: RedisClient,
    private readonly processor: EntryProcessor,
    private readonly budget: InFlightBudget,
    private readonly settings: ReclaimSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * Takes back this consumer's own pending entries first (a process that restarts under the same consumer name
   * finds what it held when it died at once, not after minIdleMs), then sweeps now and then every
   * reclaimIntervalMs, until the signal aborts.
   */
  async run(signal: AbortSignal): Promise<void> {
    await this.recoverOwn(signal).catch((error) =>
      this.logger.warn(`${this.settings.stream}: reading own pending entries failed (${describeError(error)})`),
    );
    while (!signal.aborted) {
      await this.sweep(signal).catch((error) =>
        this.logger.warn(`${this.settings.stream}: reclaiming failed (${describeError(error)})`),
      );
      await delay(this.settings.reclaimIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One pass over the group's pending entries, as far as the in-flight budget allows. */
  async sweep(signal: AbortSignal): Promise<void> {
    const { stream, group, consumer, batchSize, minIdleMs } = this.settings;
    let cursor = '0-0';
    do {
      const count = Math.min(batchSize, this.budget.free);
      if (count === 0) return;
      const [next, claimed] = (await this.redis.xautoclaim(
        stream,
        group,
        consumer,
        minIdleMs,
        cursor,
        'COUNT',
        count,
      )) as [string, RawEntry[]];
      cursor = next;
      // Skip what this process is still handling: claiming it only reset its idle time.
      const fresh = claimed.filter(
        (entry): entry is [string, FlatFields] => entry[1] !== null && !this.processor.has(entry[0]),
      );
      if (fresh.length > 0) {
        this.budget.hold(fresh.length);
        try {
          const deliveries = await this.deliveryCounts(fresh);
          void this.processor.process(fresh, deliveries).then(() => this.budget.release(fresh.length));
        } catch (error) {
          this.budget.release(fresh.length);
          throw error;
        }
      }
    } while (cursor !== '0-0' && !signal.aborted);
  }

  /** Delivers again, page by page, the entries pending for this consumer itself (XREADGROUP from id 0). */
  async recoverOwn(signal: AbortSignal): Promise<void> {
    const { stream, group, consumer, batchSize } = this.settings;
    let after = '0';
    while (!signal.aborted) {
      const count = Math.min(batchSize, this.budget.free);
      if (count === 0) {
        await this.budget.freed(signal);
        continue;
      }
      const reply = (await this.redis.xreadgroup(
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        'STREAMS',
        stream,
        after,
      )) as Array<[string, RawEntry[]]> | null;
      const entries = (reply?.[0]?.[1] ?? []).filter(([id]) => !this.processor.has(id));
      if (entries.length === 0) return;
      after = entries[entries.length - 1][0];
      this.budget.hold(entries.length);
      try {
        const present = entries.filter((entry): entry is [string, FlatFields] => entry[1] !== null);
        const deliveries = present.length > 0 ? await this.deliveryCounts(present) : undefined;
        void this.processor.process(entries, deliveries).then(() => this.budget.release(entries.length));
      } catch (error) {
        this.budget.release(entries.length);
        throw error;
      }
    }
  }

  private async deliveryCounts(entries: Array<[string, FlatFields]>): Promise<Map<string, number>> {
    const { stream, group, consumer } = this.settings;
    const first = entries[0][0];
    const last = entries[entries.length - 1][0];
    // The range may also hold entries this consumer is handling; ask for enough rows to cover them.
    const rows = (await this.redis.xpending(
      stream,
      group,
      first,
      last,
      entries.length + this.processor.size,
      consumer,
    )) as PendingRow[];
    return new Map(rows.map(([id, , , deliveries]) => [id, deliveries]));
  }
}
