import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { SaleGears, type Decision } from '@popup-store/gears-client';
import { idempotencyKey, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { INTAKE_CONFIG, SALE_KEYS, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';
import { STREAMS_CLIENT } from '../app/streams-client.provider';
import { SaleSnapshotService } from '../sale/sale-snapshot.service';
import { redisAway, refusal, RetryLaterException } from './refusal';
import { TicketIds } from './ticket-ids';

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

/** An `Idempotency-Key` and what the body said, hashed: a retry must say the same. */
export interface Idempotency {
  readonly key: string;
  readonly bodyHash: string;
}

/** What `{sale}:idempotency:<customer>:<key>` holds. */
interface IdempotencyRecord {
  readonly orderId: string;
  readonly submittedAt: number;
  readonly bodyHash: string;
}

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
    private readonly tickets: TicketIds,
  ) {
    this.gears = new SaleGears(redis, sale);
  }

  /**
   * Takes `customerId`'s order: 202 with a ticket. With an Idempotency-Key, the first request of that key writes
   * the order and every later one (concurrent ones included) gets the same ticket and writes nothing; the key
   * with another body is a 422.
   */
  async take(customerId: string, idempotency?: Idempotency): Promise<Ticket> {
    const snapshot = this.snapshot.current();
    if (!snapshot) throw redisAway();
    if (snapshot.backlog >= this.config.MAX_BACKLOG) {
      throw new RetryLaterException(HttpStatus.TOO_MANY_REQUESTS, 'busy', 'too many orders are waiting; retry shortly');
    }
    const ticket: Ticket = {
      orderId: idempotency
        ? this.tickets.forIdempotencyKey(customerId, idempotency.key)
        : this.tickets.issue(customerId),
      status: 'pending',
      submittedAt: Date.now(),
    };
    // The request's span names the order, so its trace can be found by order or customer id.
    trace.getActiveSpan()?.setAttributes({ 'popup.order.id': ticket.orderId, 'popup.customer.id': customerId });
    const recordKey = idempotency && idempotencyKey(this.sale, customerId, idempotency.key);
    let recorded = false;
    try {
      if (recordKey && idempotency) {
        const [earlier, served] = await Promise.all([
          this.redis.get(recordKey),
          this.redis.hexists(this.sale.buyers, customerId),
        ]);
        if (earlier) return replay(earlier, idempotency);
        if (served) throw alreadyServed(customerId);
        const record: IdempotencyRecord = { ...ticket, bodyHash: idempotency.bodyHash };
        const set = await this.redis.set(
          recordKey,
          JSON.stringify(record),
          'EX',
          this.config.IDEMPOTENCY_TTL_SECONDS,
          'NX',
        );
        if (set === null) return replay(await this.redis.get(recordKey), idempotency);
        recorded = true;
        await this.write(ticket, customerId);
      } else {
        // The buyer check before the XADD, not beside it: sent together, a customer who holds a unit was told 409
        // while an order was written for them anyway (decided `duplicate`, but counted as accepted with no ticket
        // given: the report's accepted orders no longer matched the tickets). One atomic call for both needs a
        // function naming the buyers hash, which customer-intake's Redis user may only read.
        if (await this.redis.hexists(this.sale.buyers, customerId)) throw alreadyServed(customerId);
        await this.write(ticket, customerId);
      }
    } catch (error) {
      // The key's record promises an order: without one, a retry must be free to write it.
      if (recorded && recordKey) await this.redis.del(recordKey).catch(() => undefined);
      if (error instanceof HttpException) throw error;
      throw redisAway();
    }
    return ticket;
  }

  private async write(ticket: Ticket, customerId: string): Promise<void> {
    const order = { orderId: ticket.orderId, customerId, submittedAt: ticket.submittedAt };
    await lastValueFrom(this.streams.emit(this.sale.customers, order));
  }

  /**
   * Where `customerId`'s order stands; `pending` until the gears decide it. A ticket of another customer, or
   * one never issued, is a 404 without a Redis read.
   */
  async status(customerId: string, orderId: string): Promise<OrderStatus> {
    if (!this.tickets.belongsTo(orderId, customerId)) {
      throw refusal(HttpStatus.NOT_FOUND, 'not_found', 'no such ticket for this customer');
    }
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

const alreadyServed = (customerId: string) =>
  refusal(HttpStatus.CONFLICT, 'duplicate', `customer ${customerId} already has a unit`);

/** The ticket of the first request with this key, unless this one says something else. */
function replay(text: string | null, idempotency: Idempotency): Ticket {
  if (text === null) throw redisAway();
  const record = JSON.parse(text) as IdempotencyRecord;
  if (record.bodyHash !== idempotency.bodyHash) {
    throw refusal(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'idempotency_key_reused',
      'this Idempotency-Key was used with another body; use a new key for a new order',
    );
  }
  return { orderId: record.orderId, status: 'pending', submittedAt: record.submittedAt };
}
