import type { RedisConnection } from '@popup-store/redis-connection';

/** Entries ever added to a stream (XINFO STREAM `entries-added`, Redis 7+), whatever was deleted since; 0 if none. */
export async function entriesAdded(redis: RedisConnection, stream: string): Promise<number> {
  const info = (await redis.xinfo('STREAM', stream).catch(() => null)) as unknown[] | null;
  if (!info) return 0;
  const at = info.indexOf('entries-added');
  if (at < 0) throw new Error('XINFO STREAM has no entries-added: the bench needs Redis 7 or later');
  return Number(info[at + 1]);
}
