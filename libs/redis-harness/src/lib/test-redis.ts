import { connectServer } from '@popup-store/redis-connection';
import type { Redis, RedisOptions } from 'ioredis';
import { RedisServerProcess, type AppendFsync } from '@popup-store/redis-process';
import { randomUUID } from 'node:crypto';
import { dockerEngineAvailable } from './docker-engine';
import { RedisContainer } from './redis-container';
import { chooseRedisSource, type RedisSource } from './redis-source';

export interface TestRedisOptions {
  /** Needs a Redis of its own to stop, kill or restart: `REDIS_URL` is then not used. */
  owned?: boolean;
  /** Persist with an append-only file and this fsync policy (owned Redis only). */
  appendfsync?: AppendFsync;
}

/** The Redis a test suite talks to, and the fault helpers for the ones the harness started. */
export interface TestRedis {
  readonly source: RedisSource;
  readonly url: string;
  /** A prefix unique to this harness, for keys of a test sharing a Redis (`REDIS_URL`). */
  readonly namespace: string;
  /** A new client, closed by `dispose`. */
  client(options?: RedisOptions): Redis;
  /** Graceful stop (the AOF is flushed). */
  stop(): Promise<void>;
  /** kill -9. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT (or docker pause / unpause): Redis stays reachable but answers nothing. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Start again on the same port; with AOF the data comes back. `appendfsync` may change the policy (spawned only). */
  restart(options?: { appendfsync?: AppendFsync | null }): Promise<void>;
  /** Close the clients and remove what the harness started. */
  dispose(): Promise<void>;
}

/** Starts (or connects to) the Redis for a test suite: `REDIS_URL`, else a Redis 8 container, else `redis-server`. */
export async function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const owned = options.owned ?? options.appendfsync !== undefined;
  const source = await chooseRedisSource({ env: process.env, owned, dockerAvailable: dockerEngineAvailable });
  switch (source) {
    case 'env':
      return new HarnessedRedis(source, process.env['REDIS_URL'] as string, undefined);
    case 'container': {
      const container = await RedisContainer.start(options.appendfsync);
      return new HarnessedRedis(source, container.url, {
        stop: () => container.stop(),
        kill: () => container.kill(),
        pause: () => container.pause(),
        resume: () => container.resume(),
        restart: () => container.restart(),
        dispose: () => container.dispose(),
      });
    }
    case 'spawned': {
      const server = await RedisServerProcess.start({ appendfsync: options.appendfsync });
      return new HarnessedRedis(source, server.url, {
        stop: () => server.stop(),
        kill: () => server.kill(),
        pause: async () => server.pause(),
        resume: async () => server.resume(),
        restart: (restartOptions) => server.restart(restartOptions),
        dispose: () => server.dispose(),
      });
    }
  }
}

interface Faults {
  stop(): Promise<void>;
  kill(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  restart(options?: { appendfsync?: AppendFsync | null }): Promise<void>;
  dispose(): Promise<void>;
}

class HarnessedRedis implements TestRedis {
  readonly namespace = `t${randomUUID().slice(0, 8)}`;
  private readonly clients = new Set<Redis>();

  constructor(
    readonly source: RedisSource,
    readonly url: string,
    private readonly faults: Faults | undefined,
  ) {}

  client(options: RedisOptions = {}): Redis {
    const client = connectServer(this.url, { redis: { disconnectTimeout: 50, ...options } });
    // A killed Redis makes every open client emit errors; a test that expects the fault must not crash on them.
    client.on('error', () => undefined);
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  stop = async () => this.owned().stop();
  kill = async () => this.owned().kill();
  pause = async () => this.owned().pause();
  resume = async () => this.owned().resume();
  restart = async (options?: { appendfsync?: AppendFsync | null }) => this.owned().restart(options);

  async dispose(): Promise<void> {
    // Wait for each socket to close before the server goes, or ioredis keeps a timer to destroy it.
    await Promise.all(
      [...this.clients].map(
        (client) =>
          new Promise<void>((resolve) => {
            client.once('end', () => resolve());
            client.disconnect();
            // A client waiting to reconnect has no socket left to close, so no 'end' comes.
            if (['end', 'close', 'reconnecting'].includes(client.status)) resolve();
          }),
      ),
    );
    await this.faults?.dispose();
  }

  private owned(): Faults {
    if (!this.faults) {
      throw new Error('this Redis comes from REDIS_URL: fault helpers need startTestRedis({ owned: true })');
    }
    return this.faults;
  }
}
