import type { Logger } from '@nestjs/common';
import type { RedisEnv, RedisTarget } from '@popup-store/config';
import { connectRedis, ownConnection, type RedisConnection as RedisClient } from '@popup-store/redis-connection';
import { describeError } from './describe-error';

export type { RedisClient };

/**
 * How to reach Redis: a URL, the process's Redis settings (`REDIS_URL`, `REDIS_CLUSTER_NODES`, so a cluster
 * switches the transport to a Cluster client), or a ready client (which the transport uses but never closes).
 */
export type RedisConnection = string | RedisEnv | RedisTarget | RedisClient;

export interface OpenedConnection {
  readonly redis: RedisClient;
  /** Whether the transport created the client, and so closes it. */
  readonly owned: boolean;
}

export function openConnection(connection: RedisConnection, logger: Logger): OpenedConnection {
  if (isClient(connection)) return { redis: connection, owned: false };
  const redis = connectRedis(typeof connection === 'string' ? { REDIS_URL: connection } : connection);
  logErrors(redis, logger);
  return { redis, owned: true };
}

/** How long after its BLOCK time a read that got no answer resolves empty (a dead socket that never closes). */
const BLOCKING_GRACE_MS = 1000;

/**
 * A connection of its own for blocking reads: a blocked XREADGROUP holds its connection for up to BLOCK ms, and
 * every other command would queue behind it (on a cluster: every command for that node). Reads are sent only on
 * a live connection (no offline queue, so none is sent late with a stale deadline), and one that gets no answer
 * (a dead socket that never closes) resolves empty a second after its BLOCK time, so the read loop can always
 * notice it has to stop.
 */
export function openBlockingConnection(redis: RedisClient, blockMs: number, logger: Logger): RedisClient {
  // blockingTimeout switches the client-side deadline on: for a read with BLOCK n it is n + the grace.
  const deadline = { blockingTimeoutGrace: BLOCKING_GRACE_MS };
  const blocking = redis.isCluster
    ? ownConnection(redis, {
        cluster: { enableOfflineQueue: false },
        // A cluster client always queues a command for a node it is still connecting to (ioredis forces each
        // node's offline queue on), and a queued blocking command gets `blockingTimeout` as its deadline, counted
        // from when it was queued: were it shorter than BLOCK + grace, the read would resolve empty here and then
        // be sent, and Redis would deliver entries to it that nobody reads (pending until reclaimed).
        redis: { ...deadline, blockingTimeout: blockMs + 2 * BLOCKING_GRACE_MS },
      })
    : ownConnection(redis, { redis: { enableOfflineQueue: false, ...deadline, blockingTimeout: 1 } });
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
