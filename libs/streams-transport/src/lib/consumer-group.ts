import type { RedisClient } from './connection';

/**
 * Creates the group, and the stream with it, unless the group exists: every process of a service races to.
 * Resolves true when this call created it.
 */
export async function ensureGroup(
  redis: RedisClient,
  stream: string,
  group: string,
  startId: string,
): Promise<boolean> {
  try {
    await redis.xgroup('CREATE', stream, group, startId, 'MKSTREAM');
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('BUSYGROUP')) return false;
    throw error;
  }
}

/**
 * Whether a command failed because the group or its stream is gone: a Redis restarted without its data, a
 * `DEL` of the stream (a read blocked on it is unblocked with "the stream key no longer exists").
 */
export function isMissingGroup(error: unknown): boolean {
  return error instanceof Error && (error.message.startsWith('NOGROUP') || /no longer exists/.test(error.message));
}
