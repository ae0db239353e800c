import type { AppendFsync } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `body` with the bench's Redis persisting to its AOF under `policy`, then turns persistence off again, so
 * the other cases run as they always have. `appendfsync always` fsyncs before Redis answers a write;
 * `everysec` once a second, so a host crash may lose the last second of answered writes.
 */
export async function withAppendfsync<T>(redis: Redis, policy: AppendFsync, body: () => Promise<T>): Promise<T> {
  await redis.config('SET', 'appendfsync', policy);
  await redis.config('SET', 'appendonly', 'yes');
  // Turning the AOF on writes it out first: measure the policy, not that rewrite.
  for (;;) {
    const info = await redis.info('persistence');
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
    await sleep(50);
  }
  try {
    return await body();
  } finally {
    await redis.config('SET', 'appendonly', 'no');
  }
}
