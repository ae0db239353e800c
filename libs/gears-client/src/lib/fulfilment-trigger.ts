import { ConsumerGroup, deadLetterStream, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { decideOrdersFunction, MAX_ORDERS_PER_CALL, type DecidedOrder, type OrderToDecide } from './functions/decide-orders';
import { callGears } from './gears-function';
import { deadLetterFields, parseOrderEntry } from './order-entry';

export interface FulfilmentTriggerOptions {
  /** A connection of its own: a blocking XREADGROUP holds it while it waits. */
  readonly redis: Redis;
  readonly sale: SaleKeys;
  /** This process's consumer name; keep it across restarts so the process finds its own pending orders again. */
  readonly consumer: string;
  /** `fulfilment` by default. */
  readonly group?: string;
  /** Orders per read and per FCALL, 1 to 1000; 500 by default. */
  readonly count?: number;
  /** How long a read waits for new orders; no wait when omitted. */
  readonly blockMs?: number;
}

export interface TriggerRound {
  /** The orders this round decided, replays included. */
  readonly decided: readonly DecidedOrder[];
  /** Entries that were not valid orders, moved to the dead-letter stream of the orders stream. */
  readonly deadLettered: number;
}

type StreamEntry = [id: string, fields: string[] | null];

/**
 * The completion trigger: reads orders with the `fulfilment` group and decides each batch with one FCALL,
 * which acknowledges and deletes the entries atomically with their decisions. Delivery is at-least-once: a
 * batch whose FCALL reply was lost stays pending and is decided again (a no-op replay) by the next `poll` of
 * the same consumer, or by `reclaimStale` in another one.
 */
export class FulfilmentTrigger {
  private readonly group: string;
  private readonly count: number;
  /** Start with this consumer's own pending orders: a crash or a lost reply may have left some. */
  private ownPendingFirst = true;

  constructor(private readonly options: FulfilmentTriggerOptions) {
    this.group = options.group ?? ConsumerGroup.fulfilment;
    this.count = options.count ?? 500;
    if (!Number.isInteger(this.count) || this.count < 1 || this.count > MAX_ORDERS_PER_CALL) {
      throw new RangeError(`count must be an integer from 1 to ${MAX_ORDERS_PER_CALL}, got ${this.count}`);
    }
  }

  /** Creates the group (and the stream) if missing, reading from the stream's start. */
  async ensureGroup(): Promise<void> {
    try {
      await this.options.redis.call('XGROUP', 'CREATE', this.options.sale.orders, this.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  /** Reads one batch (this consumer's pending orders first, then new ones) and decides it. */
  async poll(): Promise<TriggerRound> {
    if (this.ownPendingFirst) {
      const own = await this.read('0');
      if (own.length > 0) return this.decide(own);
      this.ownPendingFirst = false;
    }
    return this.decide(await this.read('>'));
  }

  /** Claims orders another consumer read but left undecided for `minIdleMs`, and decides them. */
  async reclaimStale(minIdleMs: number): Promise<TriggerRound> {
    const { redis, sale, consumer } = this.options;
    const [, entries] = (await redis.call(
      'XAUTOCLAIM', sale.orders, this.group, consumer, String(minIdleMs), '0-0', 'COUNT', String(this.count),
    )) as [string, StreamEntry[]];
    return this.decide(entries);
  }

  private async read(from: '0' | '>'): Promise<StreamEntry[]> {
    const { redis, sale, consumer, blockMs } = this.options;
    const block = from === '>' && blockMs !== undefined ? ['BLOCK', String(blockMs)] : [];
    const reply = (await redis.call(
      'XREADGROUP', 'GROUP', this.group, consumer, 'COUNT', String(this.count), ...block, 'STREAMS', sale.orders, from,
    )) as [string, StreamEntry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  private async decide(entries: StreamEntry[]): Promise<TriggerRound> {
    const { redis, sale, consumer } = this.options;
    const orders: OrderToDecide[] = [];
    const refused: { id: string; error: string; fields: Readonly<Record<string, string>> }[] = [];
    const gone: string[] = [];
    for (const [id, fields] of entries) {
      // Pending but no longer in the stream (trimmed by someone else): nothing to decide, only to acknowledge.
      if (fields === null) gone.push(id);
      else {
        const parsed = parseOrderEntry(id, fields);
        if (parsed.ok) orders.push(parsed.order);
        else refused.push({ id, ...parsed });
      }
    }
    if (refused.length > 0 || gone.length > 0) {
      // One transaction, so an entry is never both dead-lettered and left pending.
      const retire = redis.multi();
      for (const { id, ...letter } of refused) {
        // A malformed entry is dead-lettered the first time it is read, so one delivery is the usual count.
        const source = { stream: sale.orders, id, group: this.group, consumer, deliveries: 1 };
        retire.xadd(deadLetterStream(sale.orders), '*', ...deadLetterFields(source, letter));
      }
      const ids = [...refused.map(({ id }) => id), ...gone];
      retire.xack(sale.orders, this.group, ...ids).xdel(sale.orders, ...ids);
      for (const [error] of (await retire.exec()) ?? []) if (error) throw error;
    }
    if (orders.length === 0) return { decided: [], deadLettered: refused.length };
    try {
      const decided = await callGears(redis, decideOrdersFunction, sale, { orders, group: this.group });
      return { decided, deadLettered: refused.length };
    } catch (error) {
      this.ownPendingFirst = true;
      throw error;
    }
  }
}
