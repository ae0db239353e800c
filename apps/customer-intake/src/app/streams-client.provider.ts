import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Customer } from '@popup-store/contracts';
import { gearsCommand, takeOrderFunction, toGearsError } from '@popup-store/gears-client';
import { producerContracts, type SaleKeys } from '@popup-store/keys';
import {
  corkUntilNextTurn,
  execWithReplicaAcks,
  type RedisConnection,
  type ReplicaAcks,
} from '@popup-store/redis-connection';
import { RedisStreamsClient, type FlatFields } from '@popup-store/streams-transport';
import { INTAKE_CONFIG, type IntakeConfig } from './intake-config';
import { REDIS } from './redis.provider';

/**
 * Writes customer entries over the request path's connection, so a Redis outage fails requests fast; each write
 * waits for REDIS_WAIT_REPLICAS replicas, so a ticket answered 202 outlives its master. One streams client for
 * every sale: the topology gives the contract of any sale's customers stream by its key. The entry is encoded
 * (and traced) by the transport, and written by `popup_take_order` with the buyer check: one round trip.
 */
@Injectable()
export class CustomerStreams implements OnApplicationShutdown {
  private readonly client: RedisStreamsClient;
  private readonly acks: ReplicaAcks;

  constructor(
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(INTAKE_CONFIG) config: IntakeConfig,
  ) {
    this.client = new RedisStreamsClient({ connection: redis, streams: producerContracts('customer-intake') });
    this.acks = { replicas: config.REDIS_WAIT_REPLICAS, timeoutMs: config.REDIS_WAIT_TIMEOUT_MS };
  }

  /**
   * Appends the customer's entry to `sale`'s customers stream unless the customer holds a unit, in one atomic call:
   * true when written, false (nothing written) when they hold one. `customer` is built of values intake validated
   * (the token's `sub`, a ticket it issued, its clock), so it is only serialised, not parsed again.
   */
  async take(sale: SaleKeys, customer: Customer): Promise<boolean> {
    const id = await this.client.emitThrough(sale.customers, customer, (fields) => this.send(sale, customer, fields), {
      trusted: true,
    });
    return id !== null;
  }

  private async send(sale: SaleKeys, customer: Customer, fields: FlatFields): Promise<string | null> {
    const fn = takeOrderFunction;
    const input = { customerId: customer.customerId, fields };
    // The orders of every request taken in this turn leave in one socket write (one per order cost the most).
    corkUntilNextTurn(this.redis);
    const pipeline = this.redis.pipeline().call(...gearsCommand(fn, sale, input));
    const [[error, reply]] = await execWithReplicaAcks(pipeline, this.acks, sale.customers, {
      // A customer who holds a unit, or a call that failed, wrote nothing: there is nothing for replicas to hold.
      wrote: ([[error, reply]]) => !error && fn.parse(reply, input) !== null,
    });
    if (error) throw toGearsError(error, fn.name);
    return fn.parse(reply, input);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
