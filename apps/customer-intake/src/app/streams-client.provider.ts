import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Customer } from '@popup-store/contracts';
import { producerContracts, type SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { RedisStreamsClient } from '@popup-store/streams-transport';
import { lastValueFrom } from 'rxjs';
import { INTAKE_CONFIG, type IntakeConfig } from './intake-config';
import { REDIS } from './redis.provider';

/**
 * Writes customer entries over the request path's connection, so a Redis outage fails requests fast; each write
 * waits for REDIS_WAIT_REPLICAS replicas, so a ticket answered 202 outlives its master. One streams client for
 * every sale: the topology gives the contract of any sale's customers stream by its key.
 */
@Injectable()
export class CustomerStreams implements OnApplicationShutdown {
  private readonly client: RedisStreamsClient;

  constructor(@Inject(REDIS) redis: RedisConnection, @Inject(INTAKE_CONFIG) config: IntakeConfig) {
    this.client = new RedisStreamsClient({
      connection: redis,
      streams: producerContracts('customer-intake'),
      replicaAcks: { replicas: config.REDIS_WAIT_REPLICAS, timeoutMs: config.REDIS_WAIT_TIMEOUT_MS },
    });
  }

  /** Appends the customer's entry to `sale`'s customers stream. */
  async write(sale: SaleKeys, customer: Customer): Promise<void> {
    await lastValueFrom(this.client.emit(sale.customers, customer));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
