import type { Provider } from '@nestjs/common';
import { producerOf, type SaleKeys } from '@popup-store/keys';
import { RedisStreamsClient } from '@popup-store/streams-transport';
import type { RedisConnection } from '@popup-store/redis-connection';
import { INTAKE_CONFIG, SALE_KEYS, type IntakeConfig } from './intake-config';
import { REDIS } from './redis.provider';

export const STREAMS_CLIENT = Symbol('StreamsClient');

/**
 * Writes customer entries over the request path's connection, so a Redis outage fails requests fast; each write
 * waits for REDIS_WAIT_REPLICAS replicas, so a ticket answered 202 outlives its master.
 */
export const streamsClientProvider: Provider = {
  provide: STREAMS_CLIENT,
  inject: [REDIS, SALE_KEYS, INTAKE_CONFIG],
  useFactory: async (redis: RedisConnection, sale: SaleKeys, config: IntakeConfig) => {
    const client = new RedisStreamsClient({
      connection: redis,
      streams: producerOf(sale, 'customer-intake'),
      replicaAcks: { replicas: config.REDIS_WAIT_REPLICAS, timeoutMs: config.REDIS_WAIT_TIMEOUT_MS },
    });
    await client.connect();
    return client;
  },
};
