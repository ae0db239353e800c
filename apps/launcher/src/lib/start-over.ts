import type { SaleKeys } from '@popup-store/keys';
import { isCluster, type RedisConnection } from '@popup-store/redis-connection';

/**
 * Deletes every key of the sale, so a rerun starts clean: its streams (and their consumer groups and dead
 * letters), hashes and report. Only keys under the sale's hash tag: the Redis may be shared, so never FLUSHALL.
 * Run it before the services start, or it would delete the consumer groups they created. Replies the count.
 * On a cluster SCAN sees one node's keys: every master is scanned (the sale's keys share one slot, on one of them).
 */
export async function startOver(redis: RedisConnection, sale: SaleKeys): Promise<number> {
  let deleted = 0;
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${sale.tag}*`, 'COUNT', 1000);
      // UNLINK frees a big stream's memory in the background instead of blocking Redis.
      if (keys.length) deleted += await node.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}
