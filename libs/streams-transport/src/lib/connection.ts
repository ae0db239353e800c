import type { Logger } from '@nestjs/common';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { describeError } from './describe-error';

/** A standalone or cluster ioredis client. */
export type RedisClient = Redis | Cluster;

/** How to reach Redis: a URL, ioredis options, or a ready client (which the transport uses but never closes). */
export type RedisConnection = string | RedisOptions | RedisClient;

export interface OpenedConnection {
  readonly redis: RedisClient;
  /** Whether the transport created the client, and so closes it. */
  readonly owned: boolean;
}

export function openConnection(connection: RedisConnection, logger: Logger): OpenedConnection {
  if (isClient(connection)) return { redis: connection, owned: false };
  const redis = typeof connection === 'string' ? new Redis(connection) : new Redis(connection);
  logErrors(redis, logger);
  return { redis, owned: true };
}

/**
 * A connection of its own for blocking reads: a blocked XREADGROUP holds its connection for up to BLOCK ms, and
 * every other command would queue behind it. Reads are sent only on a live connection (no offline queue, so none
 * is sent late with a stale deadline), and one that gets no answer (a dead socket that never closes) resolves
 * empty a second after its BLOCK time, so the read loop can always notice it has to stop.
 */
export function openBlockingConnection(redis: RedisClient, logger: Logger): RedisClient {
  // blockingTimeout only switches the client-side deadline on: for a read with BLOCK n it is n + the grace.
  const deadline = { blockingTimeout: 1, blockingTimeoutGrace: 1000 };
  const blocking = redis.isCluster
    ? (redis as Cluster).duplicate(undefined, {
        enableOfflineQueue: false,
        redisOptions: { ...(redis as Cluster).options.redisOptions, ...deadline },
      })
    : (redis as Redis).duplicate({ enableOfflineQueue: false, ...deadline });
  logErrors(blocking, logger);
  return blocking;
}

function isClient(connection: RedisConnection): connection is RedisClient {
  return typeof (connection as RedisClient).duplicate === 'function';
}

/** Logs a connection's errors, once per distinct message in a row: a Redis that is down fails every retry alike. */
function logErrors(redis: RedisClient, logger: Logger): void {
  let last = '';
  redis.on('error', (error: unknown) => {
    const message = describeError(error);
    if (message !== last) logger.warn(`Redis connection: ${message}`);
    last = message;
  });
  redis.on('ready', () => (last = ''));
}
