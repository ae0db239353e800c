import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { decideOrdersFunction, orderToDecide, type OrderToDecide } from '../src/lib/functions/decide-orders';
import { callGears } from '../src/lib/gears-function';

type Entry = [id: string, fields: string[] | null];

/** The orders of entries the fixture wrote (well-formed by construction); entries deleted while pending are skipped. */
export function ordersOf(entries: readonly Entry[]): OrderToDecide[] {
  return entries.flatMap(([id, fields]) => {
    if (fields === null) return [];
    const at = (name: string) => fields[fields.indexOf(name) + 1];
    const traceparent = fields.includes('traceparent') ? at('traceparent') : undefined;
    return [orderToDecide(id, JSON.parse(at('data') as string), { traceparent })];
  });
}

/**
 * A stand-in for the completion trigger in the library's own specs, which drive popup_decide_orders from several
 * connections at once with crashes in between. The real trigger is fulfilment-auditing's handler on the streams
 * transport, which this data-access library may not import (the transport's graph already reaches this library,
 * through telemetry's cross-service spec); this one reads the orders the fixture wrote itself, always
 * well-formed, so it has no decoding or dead-lettering to do.
 */
export class OrderCaller {
  private ownPendingFirst = true;

  constructor(
    private readonly redis: Redis,
    private readonly sale: SaleKeys,
    private readonly consumer: string,
    private readonly count: number,
  ) {}

  async ensureGroup(): Promise<void> {
    await this.redis.xgroup('CREATE', this.sale.orders, 'fulfilment', '0', 'MKSTREAM').catch((error: Error) => {
      if (!error.message.startsWith('BUSYGROUP')) throw error;
    });
  }

  /** Decides one read: this consumer's pending orders first (a lost reply left them), then new ones. */
  async poll(): Promise<number> {
    if (this.ownPendingFirst) {
      const own = await this.read('0');
      if (own.length > 0) return this.decide(own);
      this.ownPendingFirst = false;
    }
    return this.decide(await this.read('>'));
  }

  /** Decides orders another caller read and left undecided for `minIdleMs`. */
  async reclaim(minIdleMs: number): Promise<number> {
    const { orders } = this.sale;
    const [, entries] = (await this.redis.xautoclaim(
      orders,
      'fulfilment',
      this.consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      this.count,
    )) as [string, Entry[]];
    return this.decide(entries);
  }

  private async read(from: '0' | '>'): Promise<Entry[]> {
    const reply = (await this.redis.xreadgroup(
      'GROUP',
      'fulfilment',
      this.consumer,
      'COUNT',
      this.count,
      'STREAMS',
      this.sale.orders,
      from,
    )) as [string, Entry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  private async decide(entries: Entry[]): Promise<number> {
    const orders = ordersOf(entries);
    if (orders.length === 0) return 0;
    try {
      return (await callGears(this.redis, decideOrdersFunction, this.sale, { orders })).length;
    } catch (error) {
      this.ownPendingFirst = true;
      throw error;
    }
  }
}
