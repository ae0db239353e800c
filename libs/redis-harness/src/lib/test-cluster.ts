import { readEnv, redisEnv } from '@popup-store/config';
import { connectRedis, type ConnectOptions } from '@popup-store/redis-connection';
import { parseClusterNodes, RedisClusterProcess, type ClusterNode, type RedisClusterOptions } from '@popup-store/redis-process';
import type { Cluster } from 'ioredis';
import { randomUUID } from 'node:crypto';

export interface TestClusterOptions extends Pick<RedisClusterOptions, 'masters' | 'replicasPerMaster' | 'nodeTimeoutMs'> {
  /** Needs a cluster of its own to kill nodes or move slots: `REDIS_CLUSTER_NODES` is then not used. */
  owned?: boolean;
}

/** The Redis Cluster a test suite talks to, and, when the harness started it, the process to break it with. */
export interface TestCluster {
  /** `env` when `REDIS_CLUSTER_NODES` named it, `spawned` when the harness started it. */
  readonly source: 'env' | 'spawned';
  /** Its seed nodes, in the form of `REDIS_CLUSTER_NODES`. */
  readonly nodes: string;
  /** A prefix unique to this harness, for keys of a test sharing a cluster. */
  readonly namespace: string;
  /** A new Cluster client from the services' own factory, closed by `dispose`. */
  client(options?: ConnectOptions): Cluster;
  /** The nodes as the cluster sees them now. */
  topology(): Promise<ClusterNode[]>;
  /** The live master serving `key`'s slot. */
  masterOf(key: string): Promise<ClusterNode>;
  /** The cluster's processes (kill -9, restart, add a master, migrate a slot); only when the harness started it. */
  readonly process: RedisClusterProcess;
  /** Close the clients and stop what the harness started. */
  dispose(): Promise<void>;
}

/**
 * Starts (or connects to) the Redis Cluster for a test suite: `REDIS_CLUSTER_NODES` when set and the suite does
 * not need to own it, else a private 3-master, 3-replica cluster of `redis-server` processes with a 1 s node timeout.
 */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const fromEnv = process.env['REDIS_CLUSTER_NODES'];
  if (fromEnv && !options.owned) return new HarnessedCluster('env', fromEnv, undefined);
  const started = await RedisClusterProcess.start({
    masters: options.masters,
    replicasPerMaster: options.replicasPerMaster,
    nodeTimeoutMs: options.nodeTimeoutMs,
  });
  return new HarnessedCluster('spawned', started.nodesSpec, started);
}

class HarnessedCluster implements TestCluster {
  readonly namespace = `t${randomUUID().slice(0, 8)}`;
  private readonly clients = new Set<Cluster>();
  private observer: Cluster | undefined;

  constructor(
    readonly source: 'env' | 'spawned',
    readonly nodes: string,
    private readonly started: RedisClusterProcess | undefined,
  ) {}

  client(options: ConnectOptions = {}): Cluster {
    // A cluster named by REDIS_CLUSTER_NODES takes its user and password from REDIS_URL, as the services do.
    const url = this.source === 'env' ? process.env['REDIS_URL'] : undefined;
    const env = readEnv(redisEnv, { REDIS_URL: url, REDIS_CLUSTER_NODES: this.nodes });
    const client = connectRedis(env, options) as Cluster;
    // A killed node makes every open client emit errors; a test that expects the fault must not crash on them.
    client.on('error', () => undefined);
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  async topology(): Promise<ClusterNode[]> {
    this.observer ??= this.client();
    const masters = this.observer.nodes('master');
    for (const node of masters.length > 0 ? masters : [this.observer]) {
      try {
        return parseClusterNodes(String(await node.call('CLUSTER', 'NODES')));
      } catch {
        // A killed master is still in the client's list until it refreshes: ask the next one.
      }
    }
    throw new Error('no node of the cluster answered CLUSTER NODES');
  }

  async masterOf(key: string): Promise<ClusterNode> {
    this.observer ??= this.client();
    const slot = Number(await this.observer.call('CLUSTER', 'KEYSLOT', key));
    const master = (await this.topology()).find(
      (node) => node.role === 'master' && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    if (!master) throw new Error(`no live master serves ${key} (slot ${slot})`);
    return master;
  }

  get process(): RedisClusterProcess {
    if (!this.started) {
      throw new Error('this cluster comes from REDIS_CLUSTER_NODES: faults need startTestCluster({ owned: true })');
    }
    return this.started;
  }

  async dispose(): Promise<void> {
    await Promise.all(
      [...this.clients].map(
        (client) =>
          new Promise<void>((resolve) => {
            client.once('end', () => resolve());
            client.disconnect();
            if (['end', 'close'].includes(client.status)) resolve();
          }),
      ),
    );
    await this.started?.dispose();
  }
}
