import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { connectRedis, type RedisConnection } from '@popup-store/redis-connection';
import { once } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import { METRICS_CONFIG, type MetricsConfig } from './metrics-config';

export const REDIS = Symbol('Redis');

const STARTUP_WAIT_MS = 5000;

/**
 * The sampler's connection (a Cluster client when REDIS_CLUSTER_NODES is set). No offline queue and a command timeout: while Redis is away or hangs, a round fails
 * at once instead of piling up behind the next ones. The transport opens connections of its own.
 */
export const redisProvider: Provider = {
  provide: REDIS,
  inject: [METRICS_CONFIG],
  useFactory: async (config: MetricsConfig) => {
    const redis = connectRedis(config, {
      name: 'metrics-export',
      redis: {
        enableOfflineQueue: false,
        commandTimeout: Math.max(1000, config.METRICS_INTERVAL_MS),
        maxRetriesPerRequest: 0,
        retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
      },
      cluster: { enableOfflineQueue: false },
    });
    // The sampler logs an outage once; the connection's own errors would repeat it on every retry.
    redis.on('error', () => undefined);
    // Boot waits a moment for Redis so the first sample finds it; without Redis it boots anyway and keeps trying.
    await Promise.race([once(redis, 'ready'), setTimeout(STARTUP_WAIT_MS, undefined, { ref: false })]);
    return redis;
  },
};

@Injectable()
export class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
