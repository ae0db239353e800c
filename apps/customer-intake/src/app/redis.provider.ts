import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import { INTAKE_CONFIG, type IntakeConfig } from './intake-config';

export const REDIS = Symbol('Redis');

const STARTUP_WAIT_MS = 5000;

/**
 * The request path's Redis connection. No offline queue and a command timeout: while Redis is away a request
 * fails fast (503) instead of waiting in a queue that a crowd would fill.
 */
export const redisProvider: Provider = {
  provide: REDIS,
  inject: [INTAKE_CONFIG],
  useFactory: async (config: IntakeConfig) => {
    const redis = new Redis(config.REDIS_URL, {
      enableOfflineQueue: false,
      commandTimeout: config.REDIS_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    });
    redis.on('error', () => undefined);
    // Boot waits a moment for Redis so the first requests find it; without Redis it boots anyway, not ready.
    await Promise.race([once(redis, 'ready'), setTimeout(STARTUP_WAIT_MS, undefined, { ref: false })]);
    return redis;
  },
};

@Injectable()
export class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
