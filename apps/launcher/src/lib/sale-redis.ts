import { RedisServerProcess } from '@popup-store/redis-process';
import { Redis } from 'ioredis';
import { mkdir } from 'node:fs/promises';

/** The Redis a sale runs on. */
export interface SaleRedis {
  readonly url: string;
  /** Whether the launcher started it (and stops it). */
  readonly private: boolean;
  stop(): Promise<void>;
}

/**
 * `REDIS_URL`'s Redis when given, left running; else a private redis-server persisting to `dir` with
 * appendfsync always, as the compose stack's Redis does: a ticket answered 202 is on disk, and a host crash
 * loses none (everysec could lose the last second; docs/reliability.md has what always costs).
 */
export async function openSaleRedis(url: string | undefined, dir: string): Promise<SaleRedis> {
  if (url) return { url, private: false, stop: async () => undefined };
  await mkdir(dir, { recursive: true });
  const server = await RedisServerProcess.start({ dir, appendfsync: 'always' });
  return { url: server.url, private: true, stop: () => server.stop() };
}

/** A client of the sale's Redis, once it answers; fails at once, naming the Redis, when it cannot be reached. */
export async function connectToRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true });
  let lastError: Error | undefined;
  // Once connected, a lost connection is retried; until then, and after, errors must not crash the launcher.
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${withoutCredentials(url)}: ${(lastError ?? (error as Error)).message}`);
  }
  return redis;
}

/** A Redis URL fit to print: no user or password. */
export function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}
