import { readEnv, redisEnv } from '@popup-store/config';
import { connectRedis, type RedisConnection } from '@popup-store/redis-connection';
import { RedisClusterProcess, RedisServerProcess } from '@popup-store/redis-process';
import { mkdir } from 'node:fs/promises';

/** The Redis a sale runs on: one server, or a cluster by its seed nodes. */
export interface SaleRedis {
  readonly url: string;
  /** `REDIS_CLUSTER_NODES` of every process when the sale runs on a cluster. */
  readonly clusterNodes: string | undefined;
  /** Whether the launcher started it (and stops it). */
  readonly private: boolean;
  stop(): Promise<void>;
}

/** Where the launcher is told to play: `REDIS_URL`'s Redis or `REDIS_CLUSTER_NODES`'s cluster, or a private one. */
export interface SaleRedisChoice {
  readonly redisUrl: string | undefined;
  readonly redisClusterNodes: string | undefined;
  /** A private cluster rather than a private redis-server. */
  readonly cluster: boolean;
}

/**
 * The Redis (or cluster) given, left running; else a private redis-server persisting to `dir` with appendfsync
 * always, as the compose stack's Redis does: a ticket answered 202 is on disk, and a host crash loses none
 * (everysec could lose the last second; docs/reliability.md has what always costs). With `cluster`, a private
 * 3-master cluster with a replica each, in memory only: a ticket answered 202 is on a master and its replica
 * (customer-intake WAITs for the replica), so the sale survives a master's death but not the host's.
 */
export async function openSaleRedis(choice: SaleRedisChoice, dir: string): Promise<SaleRedis> {
  const { redisUrl, redisClusterNodes } = choice;
  if (redisClusterNodes) {
    // REDIS_URL only carries the user and password of every node here (its default has none).
    const url = redisUrl ?? redisEnv.REDIS_URL.parse(undefined);
    return { url, clusterNodes: redisClusterNodes, private: false, stop: async () => undefined };
  }
  if (redisUrl) return { url: redisUrl, clusterNodes: undefined, private: false, stop: async () => undefined };
  if (choice.cluster) {
    const cluster = await RedisClusterProcess.start({ masters: 3, replicasPerMaster: 1 });
    const [seed] = cluster.ports;
    return {
      url: `redis://127.0.0.1:${seed}`,
      clusterNodes: cluster.nodesSpec,
      private: true,
      stop: () => cluster.dispose(),
    };
  }
  await mkdir(dir, { recursive: true });
  const server = await RedisServerProcess.start({ dir, appendfsync: 'always' });
  return { url: server.url, clusterNodes: undefined, private: true, stop: () => server.stop() };
}

/** A client of the sale's Redis, once it answers; fails at once, naming the Redis, when it cannot be reached. */
export async function connectToRedis(where: Pick<SaleRedis, 'url' | 'clusterNodes'>): Promise<RedisConnection> {
  const redis = connectRedis(readEnv(redisEnv, { REDIS_URL: where.url, REDIS_CLUSTER_NODES: where.clusterNodes }), {
    redis: { lazyConnect: true },
    cluster: { lazyConnect: true },
  });
  let lastError: Error | undefined;
  // Once connected, a lost connection is retried; until then, and after, errors must not crash the launcher.
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${describeRedis(where)}: ${(lastError ?? (error as Error)).message}`);
  }
  return redis;
}

/** The Redis fit to print: no user or password. */
export function describeRedis(where: Pick<SaleRedis, 'url' | 'clusterNodes'>): string {
  return where.clusterNodes
    ? `the Redis Cluster at ${where.clusterNodes.replace(/\/\/[^@/]*@/g, '//')}`
    : withoutCredentials(where.url);
}

/** A Redis URL fit to print: no user or password. */
export function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}
