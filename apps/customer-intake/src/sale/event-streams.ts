import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import type { SaleKeys } from '@popup-store/keys';
import { combineLatest, finalize, interval, map, merge, share, shareReplay, throttleTime, type Observable } from 'rxjs';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';
import { AddressCounts } from '../limits/address-counts';
import { RetryLaterException } from '../orders/refusal';
import { WaitingRoom } from '../queue/waiting-room.service';
import { SaleSnapshotService, type SaleSnapshot } from './sale-snapshot.service';

/**
 * The sales' event streams: one shared source per sale for all of its streams (each change serialised once, at
 * most one per SALE_EVENTS_INTERVAL_MS), one heartbeat timer for all, and bounds on how many are open, in total
 * and per client address, across sales. A stream whose client stops reading is closed by Nest's
 * `maxPendingDataLength` (see SaleController). Sources exist only for the sales the roster sells.
 */
@Injectable()
export class SaleEventStreams {
  private readonly open: AddressCounts;
  private readonly sources = new Map<string, Observable<MessageEvent>>();
  private readonly heartbeats: Observable<MessageEvent>;

  constructor(
    private readonly snapshot: SaleSnapshotService,
    private readonly room: WaitingRoom,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {
    this.open = new AddressCounts(config.MAX_EVENT_STREAMS, config.MAX_EVENT_STREAMS_PER_ADDRESS);
    this.heartbeats = interval(config.SALE_EVENTS_HEARTBEAT_MS).pipe(
      map((): MessageEvent => ({ comment: 'heartbeat' }) as MessageEvent),
      share(),
    );
  }

  /** Streams open, and addresses holding them. */
  get size(): { total: number; addresses: number } {
    return this.open.size;
  }

  /** The events of `sale` for one more stream from `address`, its place given back on `closed`; or a refusal. */
  follow(sale: SaleKeys, address: string, closed: AbortSignal): Observable<MessageEvent> {
    const taken = this.open.take(address);
    if (taken === 'total') {
      throw new RetryLaterException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'too_many_streams',
        `the store holds ${this.config.MAX_EVENT_STREAMS} event streams; retry shortly`,
        5,
      );
    }
    if (taken === 'address') {
      throw new RetryLaterException(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_streams_from_address',
        `this address holds ${this.config.MAX_EVENT_STREAMS_PER_ADDRESS} event streams; share one`,
        5,
      );
    }
    closed.addEventListener('abort', taken, { once: true });
    return this.source(sale);
  }

  /** The sale's shared source; it stops when its last stream closes, and is forgotten with it. */
  private source(sale: SaleKeys): Observable<MessageEvent> {
    const known = this.sources.get(sale.saleId);
    if (known) return known;
    const events = combineLatest([this.snapshot.changes(sale), this.room.admittingChanges(sale)]).pipe(
      throttleTime(this.config.SALE_EVENTS_INTERVAL_MS, undefined, { leading: true, trailing: true }),
      // A string is written as it is: the JSON is made once per change, not once per stream.
      map(([current, waitingRoom]): MessageEvent => ({
        type: 'sale',
        data: JSON.stringify(saleView(current, waitingRoom)),
      })),
      // Runs when the last stream of the sale closes: a sale nobody follows keeps no source.
      finalize(() => this.sources.delete(sale.saleId)),
      // A stream that opens gets the latest event at once; the source stops when the last stream closes.
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    const source = merge(events, this.heartbeats);
    this.sources.set(sale.saleId, source);
    return source;
  }
}

/**
 * What `GET /api/sale` and each `sale` event say; `waitingRoom`: orders need an admission from the line
 * (docs/waiting-room.md).
 */
export function saleView({ status, backlog }: SaleSnapshot, waitingRoom: boolean) {
  return {
    phase: status.phase,
    state: status.state,
    stock: status.stock,
    left: status.left,
    window: { startsAt: status.startsAt, endsAt: status.endsAt },
    soldOutAt: status.soldOutAt,
    counts: status.counts,
    run: status.run,
    backlog,
    waitingRoom,
    at: status.now,
  };
}
