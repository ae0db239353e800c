import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { SaleGears, type Decision } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import { INTAKE_CONFIG, SALE_KEYS, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';
import { STREAMS_CLIENT } from '../app/streams-client.provider';
import { SaleSnapshotService } from '../sale/sale-snapshot.service';
import { redisAway, refusal, RetryLaterException } from './refusal';

export interface Ticket {
  readonly orderId: string;
  readonly status: 'pending';
  readonly submittedAt: number;
}

export type OrderStatus =
  | { readonly orderId: string; readonly status: 'pending' }
  | {
      readonly orderId: string;
      readonly status: 'completed';
      readonly unit: number;
      readonly decidedAt: number;
    }
  | {
      readonly orderId: string;
      readonly status: 'rejected';
      readonly reason: string;
      readonly decidedAt: number;
    };

/**
 * Takes orders at the door. It refuses early what is certain to fail (customer served, backlog full; the
 * SaleDoor has already refused while the sale is not open) so a crowd does not queue for nothing; whether an
 * order gets a unit is decided only by the gears.
 */
@Injectable()
export class OrderDeskService {
  private readonly gears: SaleGears;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SALE_KEYS) private readonly sale: SaleKeys,
    @Inject(STREAMS_CLIENT) private readonly streams: ClientProxy,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    private readonly snapshot: SaleSnapshotService,
  ) {
    this.gears = new SaleGears(redis, sale);
  }

  async take(customerId: string): Promise<Ticket> {
    const snapshot = this.snapshot.current();
    if (!snapshot) throw redisAway();
    if (snapshot.backlog >= this.config.MAX_BACKLOG) {
      throw new RetryLaterException(HttpStatus.TOO_MANY_REQUESTS, 'busy', 'too many orders are waiting; retry shortly');
    }
    const ticket: Ticket = {
      orderId: randomUUID(),
      status: 'pending',
      submittedAt: Date.now(),
    };
    // The request's span names the order, so its trace can be found by order or customer id.
    trace.getActiveSpan()?.setAttributes({ 'popup.order.id': ticket.orderId, 'popup.customer.id': customerId });
    try {
      if (await this.redis.hexists(this.sale.buyers, customerId)) {
        throw refusal(HttpStatus.CONFLICT, 'duplicate', `customer ${customerId} already has a unit`);
      }
      const order = {
        orderId: ticket.orderId,
        customerId,
        submittedAt: ticket.submittedAt,
      };
      await lastValueFrom(this.streams.emit(this.sale.customers, order));
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw redisAway();
    }
    return ticket;
  }

  /** Where an order stands; `pending` until the gears decide it (an id never issued also reads as pending). */
  async status(orderId: string): Promise<OrderStatus> {
    let decision: Decision | null;
    try {
      decision = await this.gears.decision(orderId);
    } catch {
      throw redisAway();
    }
    if (!decision) return { orderId, status: 'pending' };
    return decision.outcome === 'completed'
      ? {
          orderId,
          status: 'completed',
          unit: decision.unit,
          decidedAt: decision.at,
        }
      : {
          orderId,
          status: 'rejected',
          reason: decision.reason,
          decidedAt: decision.at,
        };
  }
}
