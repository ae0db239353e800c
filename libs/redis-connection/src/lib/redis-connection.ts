import { redisTarget, type RedisEnv, type RedisTarget } from '@popup-store/config';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A connection to the store's Redis: one server, or a cluster (a sale's keys share one slot, so both serve it). */
export type RedisConnection = Redis | Cluster;

export interface ConnectOptions {
  /** `CLIENT SETNAME` of every connection, so `CLIENT LIST` says which service holds it. */
  readonly name?: string;
  /** Options of each server connection (on a cluster: of the connection to each node). */
  readonly redis?: RedisOptions;
  /** Cluster-only options (refresh, redirections, retry delays). */
  readonly cluster?: Omit<ClusterOptions, 'redisOptions'>;
}

/**
 * The one place a process gets a Redis connection: a Redis from `REDIS_URL`, or, when `REDIS_CLUSTER_NODES` is
 * set, a Cluster client seeded with those nodes that follows MOVED and ASK itself, with the same user, password
 * and TLS on every node.
 */
export function connectRedis(where: RedisTarget | RedisEnv, options: ConnectOptions = {}): RedisConnection {
  const target = 'mode' in where ? where : redisTarget(where);
  const named = options.name ? { connectionName: options.name } : {};
  if (target.mode === 'standalone') return new Redis(target.url, { ...named, ...options.redis });
  const cluster = new Cluster(
    target.nodes.map(({ host, port }) => ({ host, port })),
    {
      // ioredis resolves seed host names to IPs before it connects; with TLS the certificate names the host, so
      // keep the name as given (what ioredis documents for TLS clusters).
      ...(target.tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
      ...options.cluster,
      redisOptions: {
        ...named,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {} } : {}),
        ...options.redis,
      },
    },
  );
  catchStrayAsking(cluster);
  return cluster;
}

/** A connection to one Redis by its URL, whatever `REDIS_CLUSTER_NODES` says: a test's, a bench's own server. */
export function connectServer(url: string, options: ConnectOptions = {}): Redis {
  return connectRedis({ mode: 'standalone', url }, options) as Redis;
}

/**
 * ioredis (5.11) sends ASKING before a command redirected by ASK and drops that promise (`redis.asking()` with no
 * catch in cluster/index.js). When the connection to the ASK target closes first, which is what happens while a
 * slot moves to a new master (the client drops a node without slots from its pool on its next slot refresh), the
 * rejection is unhandled and Node ends the process. The redirected command fails on its own and is retried by
 * the client; only the stray ASKING rejection is caught here, on every node the client adds.
 */
function catchStrayAsking(cluster: Cluster): void {
  cluster.on('+node', (node: Redis) => {
    const asking = node.asking.bind(node);
    node.asking = ((...args: Parameters<Redis['asking']>) => {
      const reply = asking(...args);
      reply.catch(() => undefined);
      return reply;
    }) as Redis['asking'];
  });
}

/**
 * A new connection to the same Redis with the same options, for a blocking command (XREADGROUP BLOCK): while it
 * waits it holds its connection, which on a cluster client is the one every command for that node shares.
 * `options` adds to the original's: a name, and options of each server connection (a client-side deadline) or of
 * the cluster client (no offline queue).
 */
export function ownConnection(connection: RedisConnection, options: ConnectOptions = {}): RedisConnection {
  const named = options.name ? { connectionName: options.name } : {};
  if (connection instanceof Cluster) {
    const redisOptions = { ...connection.options.redisOptions, ...named, ...options.redis };
    const own = connection.duplicate([], { ...options.cluster, redisOptions });
    catchStrayAsking(own);
    return own;
  }
  return connection.duplicate({ ...named, ...options.redis });
}

/**
 * A connection to one node of a cluster, with the cluster's node options (user, password, TLS, name): for what
 * must reach each node itself (FUNCTION LOAD on every master), including a master the client has no slot of yet.
 */
export function nodeConnection(cluster: Cluster, node: { host: string; port: number }, options: RedisOptions = {}): Redis {
  return new Redis({ ...cluster.options.redisOptions, ...options, host: node.host, port: node.port });
}

/** True for a cluster client: some commands (FUNCTION LOAD, CLUSTER, INFO) must then go to each node. */
export function isCluster(connection: RedisConnection): connection is Cluster {
  return connection instanceof Cluster;
}
