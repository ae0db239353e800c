import type { RedisConnection } from './gears-function';

/**
 * Redis's clock in ms (`TIME`): the one the gears judge a sale's window by, and the one stream ids carry. Whoever
 * opens a window or compares with a decision's time reads this clock, not the caller's.
 */
export async function redisNow(redis: RedisConnection): Promise<number> {
  const [seconds, micros] = (await redis.call('TIME')) as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
