import type { Provider } from '@nestjs/common';
import { producerOf, type SaleKeys } from '@popup-store/keys';
import { RedisStreamsClient } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { SALE_KEYS } from './intake-config';
import { REDIS } from './redis.provider';

export const STREAMS_CLIENT = Symbol('StreamsClient');

/** Writes customer entries over the request path's connection, so a Redis outage fails requests fast. */
export const streamsClientProvider: Provider = {
  provide: STREAMS_CLIENT,
  inject: [REDIS, SALE_KEYS],
  useFactory: async (redis: Redis, sale: SaleKeys) => {
    const client = new RedisStreamsClient({
      connection: redis,
      streams: producerOf(sale, 'customer-intake'),
    });
    await client.connect();
    return client;
  },
};
