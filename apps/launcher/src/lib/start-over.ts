import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';

/**
 * Deletes every key of the sale, so a rerun starts clean: its streams (and their consumer groups and dead
 * letters), hashes and report. Only keys under the sale's hash tag: the Redis may be shared, so never FLUSHALL.
 * Run it before the services start, or it would delete the consumer groups they created. Replies the count.
 */
export async function startOver(redis: Redis, sale: SaleKeys): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${sale.tag}*`, 'COUNT', 1000);
    // UNLINK frees a big stream's memory in the background instead of blocking Redis.
    if (keys.length) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
