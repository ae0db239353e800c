import type { RedisClient } from './connection';

/** Creates the group, and the stream with it, unless the group exists: every process of a service races to. */
export async function ensureGroup(redis: RedisClient, stream: string, group: string, startId: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, startId, 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

/** Whether a command failed because the group (or its stream) is gone, e.g. after a Redis restart without data. */
export function isMissingGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}
