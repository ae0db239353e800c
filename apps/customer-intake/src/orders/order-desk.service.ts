import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { orderDecision, type Decision } from '@popup-store/gears-client';
import { idempotencyKey, runArchive, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';
import { CustomerStreams } from '../app/streams-client.provider';
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
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly streams: CustomerStreams,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    private readonly snapshot: SaleSnapshotService,
    private readonly tickets: TicketIds,
  ) {}

  /**
   * Takes `customerId`'s order: 202 with a ticket. With an Idempotency-Key, the first request of that key writes
   * the order and every later one (concurrent ones included) gets the same ticket and writes nothing; the key
   * with another body is a 422.
   */
  async take(sale: SaleKeys, customerId: string, idempotency?: Idempotency): Promise<Ticket> {
    const snapshot = this.snapshot.current(sale);
    if (!snapshot) throw redisAway();
    if (snapshot.backlog >= this.config.MAX_BACKLOG) {
      throw new RetryLaterException(HttpStatus.TOO_MANY_REQUESTS, 'busy', 'too many orders are waiting; retry shortly');
    }
    // The run as last read: an order taken across a start-over may carry the earlier run (see status()).
    const run = snapshot.status.run;
    const ticket: Ticket = {
      orderId: idempotency
        ? this.tickets.forIdempotencyKey(sale, run, customerId, idempotency.key)
        : this.tickets.issue(sale, run, customerId),
      status: 'pending',
      submittedAt: Date.now(),
    };
    // The request's span names the order, so its trace can be found by order or customer id.
    trace.getActiveSpan()?.setAttributes({ 'popup.order.id': ticket.orderId, 'popup.customer.id': customerId });
    const recordKey = idempotency && idempotencyKey(sale, customerId, idempotency.key);
    let recorded = false;
    try {
      if (recordKey && idempotency) {
        const [earlier, served] = await Promise.all([
          this.redis.get(recordKey),
          this.redis.hexists(sale.buyers, customerId),
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
        // The customer may have been served since the check above: the write checks again, atomically.
        await this.write(sale, ticket, customerId);
      } else {
        await this.write(sale, ticket, customerId);
      }
    } catch (error) {
      // The key's record promises an order: without one, a retry must be free to write it.
      if (recorded && recordKey) await this.redis.del(recordKey).catch(() => undefined);
      if (error instanceof HttpException) throw error;
      throw redisAway();
    }
    return ticket;
  }

  /**
   * The buyer check and the XADD in one atomic call (`popup_take_order`): one round trip, and a customer told 409
   * never has an order written. Sent side by side as two commands, Redis could run the XADD first, and a customer
   * told 409 had an order written anyway (decided `duplicate`, counted as accepted with no ticket given: the report's
   * accepted orders no longer matched the tickets).
   */
  private async write(sale: SaleKeys, ticket: Ticket, customerId: string): Promise<void> {
    const written = await this.streams.take(sale, {
      orderId: ticket.orderId,
      customerId,
      submittedAt: ticket.submittedAt,
    });
    if (!written) throw alreadyServed(customerId);
  }

  /**
   * Where `customerId`'s order in `sale` stands; `pending` until the gears decide it. A ticket of another customer
   * or another sale, or one never issued, is a 404 without a Redis read. A ticket of an earlier run answers its
   * decision there, or 410 `earlier_run` when that run ended without deciding it (a start-over).
   */
  async status(sale: SaleKeys, customerId: string, orderId: string): Promise<OrderStatus> {
    const run = this.tickets.runOf(orderId, sale, customerId);
    if (run === undefined) throw refusal(HttpStatus.NOT_FOUND, 'not_found', 'no such ticket for this customer');
    const live = this.snapshot.current(sale)?.status.run;
    let decision: Decision | null;
    try {
      // An order taken across the start-over went into the new run's streams: its decision is the live run's.
      decision =
        live !== undefined && run < live
          ? ((await orderDecision(this.redis, runArchive(sale, run), orderId)) ??
            (await orderDecision(this.redis, sale, orderId)))
          : await orderDecision(this.redis, sale, orderId);
    } catch {
      throw redisAway();
    }
    if (!decision && live !== undefined && run < live) {
      throw refusal(
        HttpStatus.GONE,
        'earlier_run',
        `this order was taken in run ${run} of the sale, which started over (run ${live}) before deciding it`,
        { run, currentRun: live },
      );
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
