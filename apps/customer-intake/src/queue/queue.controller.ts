import { Controller, HttpCode, HttpStatus, type MessageEvent, Post, Req, Sse, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { HELD_OPEN } from '../limits/admission';
import type { SaleKeys } from '@popup-store/keys';
import { map, type Observable } from 'rxjs';
import { SignedIn, SignedInGuard } from '../customers/signed-in.guard';
import { redisAway, RetryLaterException } from '../orders/refusal';
import { ForSale } from '../sales/request-sale';
import { AdmissionPasses } from './admission-passes';
import { QueueTokenGuard } from './queue-token.guard';
import { WaitingRoom, type LineUpdate } from './waiting-room.service';

/** The shopper's side of the waiting room (docs/waiting-room.md). */
@Controller('sales/:sale/queue')
export class QueueController {
  constructor(
    private readonly room: WaitingRoom,
    private readonly papers: AdmissionPasses,
  ) {}

  /**
   * Joins the line (or asks again: a join is idempotent): where the customer stands, the estimated wait, its pass
   * once admitted, and the queue token that opens its live updates at `events`.
   */
  @Post()
  @HttpCode(HttpStatus.OK)
  @UseGuards(SignedInGuard)
  async join(@ForSale() sale: SaleKeys, @SignedIn() customer: string) {
    const update: LineUpdate = await this.room.join(sale, customer).catch((error: unknown) => {
      throw error instanceof RetryLaterException ? error : redisAway();
    });
    const queueToken = await this.papers.issueQueueToken(sale, customer);
    return { ...update, queueToken, events: `/api/sales/${sale.saleId}/queue/events?token=${queueToken}` };
  }

  /** Server-sent events: `line` updates, at once and on every change; listening keeps the customer's place. */
  @Sse('events')
  @RouteConfig(HELD_OPEN)
  @UseGuards(QueueTokenGuard)
  events(
    @ForSale() sale: SaleKeys,
    @SignedIn() customer: string,
    @Req() request: FastifyRequest,
  ): Observable<MessageEvent> {
    return this.room.updates(sale, customer, request.ip).pipe(map((update) => ({ type: 'line', data: update })));
  }
}
