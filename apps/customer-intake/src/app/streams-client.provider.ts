import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Customer } from '@popup-store/contracts';
import { callGears, takeOrderFunction, toGearsError } from '@popup-store/gears-client';
import { producerContracts, type SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { RedisStreamsClient, type FlatFields } from '@popup-store/streams-transport';
import type { Writable } from 'node:stream';
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
  private readonly replicas: number;
  private readonly waitMs: number;
  private corked = false;

  constructor(
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(INTAKE_CONFIG) config: IntakeConfig,
  ) {
    this.client = new RedisStreamsClient({ connection: redis, streams: producerContracts('customer-intake') });
    this.replicas = config.REDIS_WAIT_REPLICAS;
    this.waitMs = config.REDIS_WAIT_TIMEOUT_MS;
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
    this.corkForThisTurn();
    if (this.replicas === 0) return callGears(this.redis, fn, sale, input);
    const call = ['FCALL', fn.name, 2, ...fn.keys(sale), ...fn.args(input)] as const;
    // WAIT in the same pipeline: a cluster client sends it to the node of the call's slot, the one that wrote.
    const replies =
      (await this.redis
        .pipeline()
        .call(...call)
        .call('WAIT', this.replicas, this.waitMs)
        .exec()) ?? [];
    const [[callError, reply] = [new Error(`${fn.name} got no reply`), null], [waitError, acknowledged] = [null, 0]] =
      replies;
    if (callError) throw toGearsError(callError, fn.name);
    const id = fn.parse(reply, input);
    if (id === null) return null;
    if (waitError) throw waitError;
    if (Number(acknowledged) < this.replicas) {
      throw new Error(
        `${sale.customers}: written on the master, but ${acknowledged} of ${this.replicas} replicas had it after ${this.waitMs} ms`,
      );
    }
    return id;
  }

  /**
   * Holds the connection's writes until the end of this turn of the event loop, so the orders of every request
   * taken in the turn leave in one socket write: one write per order was the largest cost of a 202 in the bench's
   * profile. Unlike ioredis's auto-pipelining, each command is still sent from its own request, so its span stays in
   * that request's trace. A cluster client (no one socket) writes as it goes.
   */
  private corkForThisTurn(): void {
    const socket = (this.redis as { stream?: Writable }).stream;
    if (this.corked || !socket?.writable || typeof socket.cork !== 'function') return;
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
