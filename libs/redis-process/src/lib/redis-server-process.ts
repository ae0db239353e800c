import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type AppendFsync = 'always' | 'everysec' | 'no';

export interface RedisServerOptions {
  /** Folder for the AOF and logs; a fresh temp folder (removed on `dispose`) when omitted. */
  dir?: string;
  /** Port to bind on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Append-only file with this fsync policy; no persistence at all when omitted. */
  appendfsync?: AppendFsync;
  /** The `redis-server` binary; `REDIS_SERVER_BIN` or the one on PATH by default. */
  binary?: string;
  /** Extra `--name value` settings passed through verbatim. */
  extraArgs?: string[];
  /** A Redis Cluster node: `--cluster-enabled yes`, on a port whose bus port (port + 10000) is free too. */
  cluster?: ClusterNodeOptions;
  /** The user the readiness check authenticates as, when the settings turn the default user off. */
  auth?: ServerAuth;
}

export interface ServerAuth {
  readonly username: string;
  readonly password: string;
}

export interface ClusterNodeOptions {
  /** `cluster-node-timeout`: how long a silent node takes to be failed over; short in tests. */
  nodeTimeoutMs: number;
}

export interface RestartOptions {
  /** Change the persistence between runs (for instance to recover from AOF with another policy). */
  appendfsync?: AppendFsync | null;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * A private `redis-server` child process on 127.0.0.1 with helpers to stop, kill -9, pause and restart it on the
 * same port and data folder. It owns only the process it spawned.
 */
export class RedisServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
    private appendfsync: AppendFsync | undefined,
    private readonly binary: string,
    private readonly extraArgs: string[],
    private readonly ownsDir: boolean,
    private readonly auth: ServerAuth | undefined,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'popup-redis-')));
    const binary = options.binary ?? process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
    // A port picked as free can be taken before redis-server binds it (parallel test workers): try a few.
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await (options.cluster ? freeClusterPort() : freePort()));
      const clusterArgs = options.cluster
        ? ['--cluster-enabled', 'yes', '--cluster-node-timeout', String(options.cluster.nodeTimeoutMs)]
        : [];
      const extraArgs = [...clusterArgs, ...(options.extraArgs ?? [])];
      const server = new RedisServerProcess(port, dir, options.appendfsync, binary, extraArgs, ownsDir, options.auth);
      try {
        await server.launch();
        return server;
      } catch (error) {
        if (options.port !== undefined || attempt >= 3) {
          if (ownsDir) await rm(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Graceful stop: SIGTERM lets Redis flush the AOF before it exits. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** kill -9: the crash a fault test wants, with whatever the fsync policy had not written lost. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP: the process stays, its port accepts connections but nothing answers. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Start again on the same port and folder, so an AOF written before is replayed. */
  async restart(options: RestartOptions = {}): Promise<void> {
    if (this.running) await this.stop();
    if (options.appendfsync !== undefined) this.appendfsync = options.appendfsync ?? undefined;
    await this.launch();
  }

  /** Stop the process and remove the folder if this object created it. */
  async dispose(): Promise<void> {
    if (this.running) {
      this.resume();
      await this.kill();
    }
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  private args(): string[] {
    const persistence = this.appendfsync
      ? ['--appendonly', 'yes', '--appendfsync', this.appendfsync]
      : ['--appendonly', 'no'];
    return [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      '',
      ...persistence,
      ...this.extraArgs,
    ];
  }

  private async launch(): Promise<void> {
    const child = spawn(this.binary, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run ${this.binary}: ${error.message}`)));
      child.once('exit', (code, signal) =>
        reject(
          new Error(`redis-server on port ${this.port} exited (${signal ?? code}) before it was ready:\n${output}`),
        ),
      );
    });
    failed.catch(() => undefined);
    await Promise.race([waitForPong(this.port, child.pid, READY_TIMEOUT_MS, this.auth), failed]);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    await this.exited;
  }
}

/**
 * Ports from 2000 to 9999: below the cluster's ({@link freeClusterPort}) and below Linux's ephemeral range (32768
 * and up), from which the kernel also picks the local port of every outgoing connection. A port the kernel gave
 * out as free (`listen(0)`) could be taken by another test's connection between this check and the server's
 * bind: a chaos run's identity-dev failed to start on EADDRINUSE so.
 */
const SERVER_PORTS = { from: 2_000, to: 9_999 };

/** A port that was free a moment ago on 127.0.0.1, for a server a test or the launcher starts. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = SERVER_PORTS.from + Math.floor(Math.random() * (SERVER_PORTS.to - SERVER_PORTS.from));
    if (await portFree(port)) return port;
  }
  throw new Error(`no free port from ${SERVER_PORTS.from} to ${SERVER_PORTS.to}`);
}

/** The cluster bus listens on port + 10000, so a cluster node's port must leave room for it. */
export const CLUSTER_BUS_OFFSET = 10_000;
/**
 * Ports from 10000 to 22767 put the bus ports at 20000 to 32767: both below Linux's ephemeral range (32768 and
 * up), so an outgoing connection of another test cannot take one between the check and redis-server's bind.
 */
const CLUSTER_PORTS = { from: 10_000, to: 32_767 - CLUSTER_BUS_OFFSET };

/** A port that was free a moment ago on 127.0.0.1, with its cluster bus port (port + 10000) free too. */
export async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = CLUSTER_PORTS.from + Math.floor(Math.random() * (CLUSTER_PORTS.to - CLUSTER_PORTS.from));
    if ((await portFree(port)) && (await portFree(port + CLUSTER_BUS_OFFSET))) return port;
  }
  throw new Error('no free port with a free cluster bus port found');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Polls with a raw RESP PING until the server answers PONG: ready means loaded (an AOF replay answers -LOADING).
 * The server must also be `pid`: when two tests pick the same free port, the one whose redis-server failed to
 * bind would otherwise take the other's PONG for its own. Raw socket rather than a client library so this lib
 * stays free of one.
 */
async function waitForPong(port: number, pid: number | undefined, timeoutMs: number, auth: ServerAuth | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pingOnce(port, pid, auth)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A command in RESP, so that a password may hold any byte. */
function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

function pingOnce(port: number, pid: number | undefined, auth: ServerAuth | undefined): Promise<boolean> {
  const request = (auth ? resp('AUTH', auth.username, auth.password) : '') + resp('INFO', 'server') + resp('PING');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // PING's answer comes last; an error instead (-LOADING, -NOAUTH) means not yet, as does the socket timeout.
      // A user allowed PING alone (an ACL file's default user) is refused INFO: its PONG is the answer it can give.
      if (reply.endsWith('+PONG\r\n'))
        done(reply.includes(`\r\nprocess_id:${pid}\r\n`) || reply.startsWith('-NOPERM'));
      else if (/(^|\r\n)-\w+[^\r]*\r\n$/.test(reply)) done(false);
    });
  });
}
