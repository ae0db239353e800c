import { RedisServerProcess } from '@popup-store/redis-process';
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
 * appendfsync everysec, as a production Redis would, so the sale pays the same price for durability.
 */
export async function openSaleRedis(url: string | undefined, dir: string): Promise<SaleRedis> {
  if (url) return { url, private: false, stop: async () => undefined };
  await mkdir(dir, { recursive: true });
  const server = await RedisServerProcess.start({ dir, appendfsync: 'everysec' });
  return { url: server.url, private: true, stop: () => server.stop() };
}
