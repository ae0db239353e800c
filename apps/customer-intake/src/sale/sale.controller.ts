import { Controller, Get, HttpStatus, type MessageEvent, Req, Sse, SseSignal } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { SaleKeys } from '@popup-store/keys';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { HELD_OPEN } from '../limits/admission';
import { WaitingRoom } from '../queue/waiting-room.service';
import { RetryLaterException } from '../orders/refusal';
import { ForSale } from '../sales/request-sale';
import { SaleEventStreams, saleView } from './event-streams';
import { SaleSnapshotService } from './sale-snapshot.service';

/** Characters of events a stream's client may leave unread (a few hundred events) before Nest closes it. */
const MAX_UNREAD = 64 * 1024;

/** `/api/sales/:sale`, and `/api/sale` for the default sale. */
@Controller(['sales/:sale', 'sale'])
export class SaleController {
  constructor(
    private readonly snapshot: SaleSnapshotService,
    private readonly room: WaitingRoom,
    private readonly streams: SaleEventStreams,
  ) {}

  /** State, stock left, window and counts. */
  @Get()
  current(@ForSale() sale: SaleKeys) {
    const snapshot = this.snapshot.current(sale);
    if (!snapshot) {
      throw new RetryLaterException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'unavailable',
        'the sale status cannot be read now',
      );
    }
    return saleView(snapshot, this.room.admitting(sale));
  }

  /**
   * Server-sent events: one `sale` event at connect, then one on changes of phase, stock, window or the waiting
   * room's switch (at most one per SALE_EVENTS_INTERVAL_MS), and a heartbeat comment every
   * SALE_EVENTS_HEARTBEAT_MS. Bounded in total and per client address (503 / 429 with a reason).
   */
  @Sse('events', { maxPendingDataLength: MAX_UNREAD })
  @RouteConfig(HELD_OPEN)
  events(
    @ForSale() sale: SaleKeys,
    @Req() request: FastifyRequest,
    @SseSignal() closed: AbortSignal,
  ): Observable<MessageEvent> {
    return this.streams.follow(sale, request.ip, closed);
  }
}
