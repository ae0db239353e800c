import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServerProcess, type ServerAuth } from './redis-server-process';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Masters, 3 by default (a cluster needs a majority of masters to fail one over). */
  masters?: number;
  /** Replicas of each master, 1 by default. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`, 1000 ms by default: short, so a failover in a test takes a few seconds. */
  nodeTimeoutMs?: number;
  /** The `redis-server` binary; `REDIS_SERVER_BIN` or the one on PATH by default. */
  binary?: string;
  /** The `redis-cli` binary, which creates the cluster; `REDIS_CLI_BIN` or the one on PATH by default. */
  cliBinary?: string;
  /** How long `start` waits for every node to say `cluster_state:ok`, 20 s by default. */
  readyTimeoutMs?: number;
  /** An ACL user with every right, and the default user off: clients must authenticate (replicas too). */
  user?: ServerAuth;
}

/** One node as `CLUSTER NODES` describes it. */
export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** The master's id for a replica, null for a master. */
  readonly masterId: string | null;
  /** Flagged `fail` or `fail?` by the node that answered. */
  readonly failed: boolean;
  /** Slot ranges it serves, inclusive. */
  readonly slots: readonly (readonly [from: number, to: number])[];
}

export const CLUSTER_SLOTS = 16_384;

/**
 * A private Redis Cluster of `redis-server` children on 127.0.0.1: N masters with R replicas each, created with
 * `redis-cli --cluster create`, with the operator's moves a test needs (kill -9 and restart a node, add an empty
 * master, migrate one slot). Nodes keep no data on disk; their `nodes.conf` lives in each node's own folder, so a
 * restarted node rejoins with its identity.
 */
export class RedisClusterProcess {
  private readonly servers: RedisServerProcess[];

  private constructor(
    servers: RedisServerProcess[],
    private readonly options: Settings,
  ) {
    this.servers = servers;
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisClusterProcess> {
    const settings = {
      masters: options.masters ?? 3,
      replicasPerMaster: options.replicasPerMaster ?? 1,
      nodeTimeoutMs: options.nodeTimeoutMs ?? 1000,
      cliBinary: options.cliBinary ?? process.env['REDIS_CLI_BIN'] ?? 'redis-cli',
      readyTimeoutMs: options.readyTimeoutMs ?? 20_000,
      binary: options.binary,
      user: options.user,
    };
    if (settings.masters < 3) throw new RangeError('a Redis Cluster needs at least 3 masters');
    const count = settings.masters * (1 + settings.replicasPerMaster);
    const started = await Promise.allSettled(Array.from({ length: count }, () => startNode(settings)));
    const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const cluster = new RedisClusterProcess(servers, settings);
    try {
      const failure = started.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
      await cluster.cli(
        ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`)],
        ['--cluster-replicas', String(settings.replicasPerMaster), '--cluster-yes'],
      );
      // Fresh from --cluster create, a replica may still show as a slotless master for a moment: wait for the roles too.
      await cluster.waitUntilHealthy(settings.readyTimeoutMs, {
        masters: settings.masters,
        replicas: settings.masters * settings.replicasPerMaster,
      });
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** The port of every node, in start order. */
  get ports(): number[] {
    return this.servers.map((server) => server.port);
  }

  /** `127.0.0.1:<port>,...`: the form of `REDIS_CLUSTER_NODES`. */
  get nodesSpec(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The process of the node on `port`. */
  server(port: number): RedisServerProcess {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`no node of this cluster on port ${port}`);
    return server;
  }

  /** The nodes as a running node sees them (`CLUSTER NODES`). */
  async topology(): Promise<ClusterNode[]> {
    let lastError: unknown = new Error('no node of the cluster is running');
    for (const server of this.servers.filter((s) => s.running)) {
      try {
        return parseClusterNodes(await this.command(server.port, 'CLUSTER', 'NODES'));
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** The live master serving `slot`. */
  async masterOf(slot: number): Promise<ClusterNode> {
    const master = (await this.topology()).find(
      (node) => node.role === 'master' && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    if (!master) throw new Error(`no live master serves slot ${slot}`);
    return master;
  }

  /** The slot of `key` (`CLUSTER KEYSLOT`, so the hash tag rule is Redis's own). */
  async keySlot(key: string): Promise<number> {
    const running = this.servers.find((s) => s.running);
    if (!running) throw new Error('no node of the cluster is running');
    return Number(await this.command(running.port, 'CLUSTER', 'KEYSLOT', key));
  }

  /** kill -9 of one node: its replica is promoted after `nodeTimeoutMs` and an election. */
  async kill(port: number): Promise<void> {
    await this.server(port).kill();
  }

  /** Starts a stopped node again on its port; it rejoins (an old master comes back as a replica of its successor). */
  async restart(port: number): Promise<void> {
    await this.server(port).restart();
  }

  /** Starts an empty master with no slots and joins it to the cluster (what `redis-cli --cluster add-node` does). */
  async addMaster(): Promise<RedisServerProcess> {
    const server = await startNode(this.options);
    this.servers.push(server);
    const seed = this.servers.find((s) => s.running && s !== server) as RedisServerProcess;
    await this.command(server.port, 'CLUSTER', 'MEET', '127.0.0.1', String(seed.port));
    const id = await this.command(server.port, 'CLUSTER', 'MYID');
    await this.poll(`every node to know the new node on port ${server.port}`, this.options.readyTimeoutMs, async () => {
      for (const other of this.servers.filter((s) => s.running)) {
        const nodes = parseClusterNodes(await this.command(other.port, 'CLUSTER', 'NODES'));
        if (!nodes.some((node) => node.id === id)) return false;
      }
      return true;
    });
    // A node that just joined says CLUSTERDOWN (and refuses a MIGRATE to it) until it has seen every slot served.
    await this.waitUntilHealthy();
    return server;
  }

  /**
   * Moves one slot, keys and all, to the master on `toPort` while clients keep working: IMPORTING on the target,
   * MIGRATING on the source, MIGRATE of `keysPerStep` keys at a time (clients meanwhile get ASK and TRYAGAIN),
   * then SETSLOT NODE on every master. What `redis-cli --cluster reshard` does, for a slot chosen by the caller.
   */
  async migrateSlot(slot: number, toPort: number, keysPerStep = 1): Promise<void> {
    const source = await this.masterOf(slot);
    const target = (await this.topology()).find((node) => node.port === toPort);
    if (!target || target.role !== 'master') throw new Error(`no master on port ${toPort}`);
    if (source.id === target.id) return;
    const s = String(slot);
    await this.command(target.port, 'CLUSTER', 'SETSLOT', s, 'IMPORTING', source.id);
    await this.command(source.port, 'CLUSTER', 'SETSLOT', s, 'MIGRATING', target.id);
    for (;;) {
      const keys = (await this.command(source.port, 'CLUSTER', 'GETKEYSINSLOT', s, String(keysPerStep)))
        .split('\n')
        .filter((key) => key !== '');
      if (keys.length === 0) break;
      await this.command(source.port, 'MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', ...keys);
    }
    // The target first, so that it owns the slot before the source starts answering MOVED.
    await this.command(target.port, 'CLUSTER', 'SETSLOT', s, 'NODE', target.id);
    await this.command(source.port, 'CLUSTER', 'SETSLOT', s, 'NODE', target.id);
    for (const node of await this.topology()) {
      if (node.role === 'master' && !node.failed && node.id !== source.id && node.id !== target.id) {
        await this.command(node.port, 'CLUSTER', 'SETSLOT', s, 'NODE', target.id);
      }
    }
  }

  /**
   * Waits until every running node says `cluster_state:ok`, sees every slot served by a running master, and every
   * running replica's link to its master is up; with `roles`, also that every node sees that many masters and
   * replicas.
   */
  async waitUntilHealthy(
    timeoutMs = this.options.readyTimeoutMs,
    roles?: { readonly masters: number; readonly replicas: number },
  ): Promise<void> {
    await this.poll('the cluster to be healthy', timeoutMs, async () => {
      const running = new Set(this.servers.filter((s) => s.running).map((s) => s.port));
      for (const port of running) {
        const info = await this.command(port, 'CLUSTER', 'INFO');
        if (!/^cluster_state:ok\r?$/m.test(info)) return false;
        const nodes = parseClusterNodes(await this.command(port, 'CLUSTER', 'NODES'));
        const served = nodes
          .filter((node) => node.role === 'master' && !node.failed && running.has(node.port))
          .reduce((sum, node) => sum + node.slots.reduce((n, [from, to]) => n + to - from + 1, 0), 0);
        if (served !== CLUSTER_SLOTS) return false;
        if (
          roles &&
          (nodes.filter((node) => node.role === 'master').length !== roles.masters ||
            nodes.filter((node) => node.role === 'replica').length !== roles.replicas)
        )
          return false;
        const me = nodes.find((node) => node.port === port);
        if (me?.role === 'replica' && !/^master_link_status:up\r?$/m.test(await this.command(port, 'INFO', 'replication'))) {
          return false;
        }
      }
      return true;
    });
  }

  /** Stops every node and removes their folders. */
  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.dispose()));
  }

  /** One command to one node through redis-cli; its raw reply (lines) or the error it printed. */
  async command(port: number, ...args: string[]): Promise<string> {
    const reply = await this.cli(['-p', String(port)], args);
    if (/^(ERR|WRONGTYPE|MOVED|ASK|CLUSTERDOWN|TRYAGAIN|IOERR|NOKEY|BUSYKEY)\b/.test(reply)) {
      throw new Error(`node ${port}: ${args.join(' ')}: ${reply}`);
    }
    return reply;
  }

  private async cli(connection: string[], args: string[]): Promise<string> {
    const { user } = this.options;
    const auth = user ? ['--user', user.username, '--pass', user.password, '--no-auth-warning'] : [];
    try {
      const { stdout } = await run(this.options.cliBinary, ['-h', '127.0.0.1', ...auth, ...connection, ...args], {
        timeout: 10_000,
      });
      return stdout.trim();
    } catch (error) {
      const failed = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${this.options.cliBinary} ${[...connection, ...args].join(' ')} failed: ${failed.stderr || failed.stdout || failed.message}`);
    }
  }

  private async poll(what: string, timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        if (await condition()) return;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface Settings {
  readonly masters: number;
  readonly replicasPerMaster: number;
  readonly nodeTimeoutMs: number;
  readonly cliBinary: string;
  readonly readyTimeoutMs: number;
  readonly binary?: string;
  readonly user?: ServerAuth;
}

function startNode({ binary, nodeTimeoutMs, user }: Settings): Promise<RedisServerProcess> {
  const acl = user
    ? [
        ...['--user', user.username, 'on', `>${user.password}`, '~*', '&*', '+@all', '--user', 'default', 'off'],
        ...['--masteruser', user.username, '--masterauth', user.password],
      ]
    : [];
  return RedisServerProcess.start({
    binary,
    cluster: { nodeTimeoutMs },
    ...(user ? { auth: user } : {}),
    // A replica's first sync would otherwise wait 5 s for more replicas to share the transfer.
    extraArgs: ['--repl-diskless-sync-delay', '0', ...acl],
  });
}

/** Parses `CLUSTER NODES`: `<id> <ip:port@bus[,host]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`. */
export function parseClusterNodes(reply: string): ClusterNode[] {
  return reply
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.split(' ');
      const flagSet = new Set(flags.split(','));
      const port = Number(address.split('@')[0]?.split(':').pop());
      return {
        id,
        port,
        role: flagSet.has('master') ? 'master' : 'replica',
        masterId: master === '-' ? null : master,
        failed: flagSet.has('fail') || flagSet.has('fail?'),
        // `[slot->-id]` and `[slot-<-id]` mark a migration in progress, not ownership.
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [from, to = from] = slot.split('-').map(Number) as [number, number?];
            return [from, to] as const;
          }),
      };
    });
}
