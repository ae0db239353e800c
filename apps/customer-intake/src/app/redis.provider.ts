import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { connectRedis, type RedisConnection } from '@popup-store/redis-connection';
import { setTimeout } from 'node:timers/promises';
import { INTAKE_CONFIG, type IntakeConfig } from './intake-config';

export const REDIS = Symbol('Redis');
export const ADMIN_REDIS = Symbol('AdminRedis');

const STARTUP_WAIT_MS = 5000;

/**
 * The request path's Redis connection (a Cluster client when REDIS_CLUSTER_NODES is set). No offline queue and a
 * command timeout: while Redis is away (or a cluster fails a master over) a request fails fast (503) instead of
 * waiting in a queue that a crowd would fill. No auto-pipelining, though it saves a socket write per command (the
 * largest cost of an accepted order in the bench's profile): ioredis then sends a command from the turn that flushes
 * the pipeline, and its span joins another order's trace (the one-trace-per-order spec caught an order without its
 * own Redis span).
 */
export const redisProvider: Provider = {
  provide: REDIS,
  inject: [INTAKE_CONFIG],
  useFactory: (config: IntakeConfig) => connect(config.REDIS_URL, config),
};

/** The operator endpoints' connection: ADMIN_REDIS_URL's user when set, else the request path's. */
export const adminRedisProvider: Provider = {
  provide: ADMIN_REDIS,
  inject: [INTAKE_CONFIG, REDIS],
  useFactory: (config: IntakeConfig, redis: RedisConnection) =>
    config.ADMIN_REDIS_URL ? connect(config.ADMIN_REDIS_URL, config) : redis,
};

async function connect(url: string, config: IntakeConfig): Promise<RedisConnection> {
  const redis = connectRedis(
    { REDIS_URL: url, REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES },
    {
      name: 'customer-intake',
      redis: {
        enableOfflineQueue: false,
        commandTimeout: config.REDIS_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
      },
      cluster: { enableOfflineQueue: false },
    },
  );
  redis.on('error', () => undefined);
  // Boot waits a moment for Redis so the first requests find it; without Redis it boots anyway, not ready
  // (events.once would reject on the first connection error, failing the boot).
  const ready = new Promise((resolve) => redis.once('ready', resolve));
  await Promise.race([ready, setTimeout(STARTUP_WAIT_MS, undefined, { ref: false })]);
  return redis;
}

@Injectable()
export class RedisCloser implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(ADMIN_REDIS) private readonly admin: RedisConnection,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    for (const redis of new Set([this.redis, this.admin])) await redis.quit().catch(() => redis.disconnect());
  }
}
