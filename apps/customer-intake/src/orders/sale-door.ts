import { HttpStatus, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { SaleSnapshotService, type SaleSnapshot } from '../sale/sale-snapshot.service';
import { resolveRequestSale } from '../sales/request-sale';
import { SaleRoster } from '../sales/sale-roster';
import { redisAway, refusalBody } from './refusal';

/** Route config (`@RouteConfig(SALE_DOOR)`) of the endpoints that only make sense while the sale is open. */
export const SALE_DOOR = { saleDoor: true } as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    saleDoor?: boolean;
  }
}

interface Sign {
  readonly status: HttpStatus;
  readonly body: ReturnType<typeof refusalBody>;
  readonly retryAfterSeconds?: number;
}

/**
 * The sign on the door: a request for a sale this intake does not sell is a 404 `unknown_sale`, and while the
 * sale is not open, or its status cannot be read, a request to a guarded route is refused from the cached status
 * — both in Fastify's `onRequest` hook, before its body is read and before Nest routes it. After a sell-out nine
 * requests in ten are such refusals, and through Nest's middleware, guard, pipe and exception filter each cost
 * about as much as taking an order (the bench's profile of customer-intake: HttpException construction 5%, Nest's
 * router, guards and pipes 11%, the throttler 5%).
 */
@Injectable()
export class SaleDoor implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost<FastifyAdapter>,
    private readonly snapshot: SaleSnapshotService,
    private readonly roster: SaleRoster,
  ) {}

  onModuleInit(): void {
    this.adapterHost.httpAdapter.getInstance().addHook('onRequest', (request, reply, done) => {
      const unknown = resolveRequestSale(request, this.roster);
      if (unknown) return void reply.status(unknown.statusCode).send(unknown);
      const sign =
        request.routeOptions.config.saleDoor && request.sale
          ? closedSign(this.snapshot.current(request.sale))
          : undefined;
      if (!sign) return done();
      if (sign.retryAfterSeconds) void reply.header('retry-after', String(sign.retryAfterSeconds));
      void reply.status(sign.status).send(sign.body);
    });
  }
}

/** Why no order can be taken now, or undefined while the sale is open. */
function closedSign(snapshot: SaleSnapshot | undefined): Sign | undefined {
  if (!snapshot) {
    const away = redisAway();
    return {
      status: away.getStatus(),
      body: away.getResponse() as Sign['body'],
      retryAfterSeconds: away.retryAfterSeconds,
    };
  }
  const { status: sale } = snapshot;
  switch (sale.phase) {
    case 'open':
      return undefined;
    case 'sold_out':
      return {
        status: HttpStatus.GONE,
        body: refusalBody(HttpStatus.GONE, 'sold_out', 'the sale is sold out', { soldOutAt: sale.soldOutAt }),
      };
    default:
      return {
        status: HttpStatus.LOCKED,
        body: refusalBody(HttpStatus.LOCKED, 'closed', `the sale is not open (${sale.phase})`, {
          window: { phase: sale.phase, startsAt: sale.startsAt, endsAt: sale.endsAt, now: sale.now },
        }),
      };
  }
}
