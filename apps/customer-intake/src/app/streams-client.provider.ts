import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Customer } from '@popup-store/contracts';
import { producerOf, type SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { RedisStreamsClient } from '@popup-store/streams-transport';
import { lastValueFrom } from 'rxjs';
import { INTAKE_CONFIG, type IntakeConfig } from './intake-config';
import { REDIS } from './redis.provider';

/**
 * Writes customer entries over the request path's connection, so a Redis outage fails requests fast; each write
 * waits for REDIS_WAIT_REPLICAS replicas, so a ticket answered 202 outlives its master. A streams client knows its
 * streams when it is made: one per sale, made at the sale's first order (the sales are the roster's, so bounded),
 * all on the one connection.
 */
@Injectable()
export class CustomerStreams implements OnApplicationShutdown {
  private readonly clients = new Map<string, RedisStreamsClient>();

  constructor(
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  /** Appends the customer's entry to `sale`'s customers stream. */
  async write(sale: SaleKeys, customer: Customer): Promise<void> {
    await lastValueFrom(this.client(sale).emit(sale.customers, customer));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
  }

  private client(sale: SaleKeys): RedisStreamsClient {
    let client = this.clients.get(sale.saleId);
    if (!client) {
      client = new RedisStreamsClient({
        connection: this.redis,
        streams: producerOf(sale, 'customer-intake'),
        replicaAcks: { replicas: this.config.REDIS_WAIT_REPLICAS, timeoutMs: this.config.REDIS_WAIT_TIMEOUT_MS },
      });
      this.clients.set(sale.saleId, client);
    }
    return client;
  }
}
