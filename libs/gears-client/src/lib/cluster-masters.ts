import { nodeConnection } from '@popup-store/redis-connection';
import type { Cluster, Redis } from 'ioredis';

/** A master of a Redis Cluster, by the address clients reach it at. */
export interface MasterAddress {
  readonly host: string;
  readonly port: number;
}

const ASK_TIMEOUT_MS = 2000;

/** Resolves `work`, or rejects after `ms`: a node that died keeps its connection's commands waiting otherwise. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Flattened RESP map `[k1, v1, k2, v2, ...]` into an object. */
function fields(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1];
  return record;
}

/**
 * The live masters of a cluster as the cluster says (`CLUSTER SHARDS`, Redis 7.0+), masters without slots
 * included: the client's own list comes from `CLUSTER SLOTS`, which leaves out a master just added and not yet
 * given a slot, the moment its library must be loaded. Asked through the cluster client, which waits until it is
 * ready and picks a live master.
 */
export async function clusterMasters(cluster: Cluster): Promise<MasterAddress[]> {
  const tls = cluster.options.redisOptions?.tls !== undefined;
  const shards = (await within(ASK_TIMEOUT_MS * 5, 'CLUSTER SHARDS', cluster.call('CLUSTER', 'SHARDS'))) as unknown[][];
  return shards.flatMap((shard) =>
    (fields(shard)['nodes'] as unknown[][])
      .map(fields)
      .filter((n) => n['role'] === 'master' && n['health'] === 'online')
      .map((n) => ({
        // `endpoint` is what clients should use (the IP, or a host name when the cluster prefers those); `?` when unknown.
        host: String(n['endpoint'] && n['endpoint'] !== '?' ? n['endpoint'] : n['ip']),
        port: Number(tls && n['tls-port'] !== undefined ? n['tls-port'] : n['port']),
      })),
  );
}

/**
 * Connections of its own to each master, with the cluster's node options (user, password, TLS): the cluster
 * client's connections to its nodes are replaced whenever it refreshes its slots, and it has none to a master
 * without slots.
 */
export class MasterConnections {
  private readonly connections = new Map<string, Redis>();

  constructor(private readonly cluster: Cluster) {}

  /** Runs `work` on the connection to `master`, giving up after 10 s (a master that just died). */
  async on<T>(master: MasterAddress, work: (node: Redis) => Promise<T>): Promise<T> {
    const key = `${master.host}:${master.port}`;
    let node = this.connections.get(key);
    if (!node || node.status === 'end') {
      // A master that goes away is forgotten rather than retried: the next check asks the cluster again.
      node = nodeConnection(this.cluster, master, { retryStrategy: () => null, maxRetriesPerRequest: 1 });
      node.on('error', () => undefined);
      this.connections.set(key, node);
    }
    return within(ASK_TIMEOUT_MS * 5, key, work(node));
  }

  /** Closes the connections to nodes not in `keep` (all of them by default). */
  close(keep: readonly MasterAddress[] = []): void {
    const kept = new Set(keep.map((master) => `${master.host}:${master.port}`));
    for (const [key, node] of this.connections) {
      if (kept.has(key)) continue;
      node.disconnect();
      this.connections.delete(key);
    }
  }
}
