import type { RedisClient } from './connection';

/** Redis 8.2 added XACKDEL: ack and delete in one command. */
const XACKDEL_SINCE = [8, 2] as const;

/**
 * Stream commands whose best form depends on the Redis version. The version is asked once per connection (INFO
 * server: every service's Redis user may run INFO, not all may run COMMAND INFO) and again after a reconnection,
 * which may reach another server (a failover, an upgrade).
 */
export class StreamCommands {
  private xackdel: Promise<boolean> | undefined;

  constructor(private readonly redis: RedisClient) {
    redis.on('ready', () => (this.xackdel = undefined));
  }

  /** Acks the entries in the group and deletes them from the stream: XACKDEL where Redis has it, else XACK and XDEL in one MULTI. */
  async ackAndDelete(stream: string, group: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    if (await this.hasXackdel()) {
      await this.redis.call('XACKDEL', stream, group, 'IDS', ids.length, ...ids);
      return;
    }
    const replies =
      (await this.redis
        .multi()
        .xack(stream, group, ...ids)
        .xdel(stream, ...ids)
        .exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
  }

  /** Whether this Redis has XACKDEL (8.2+). */
  hasXackdel(): Promise<boolean> {
    return (this.xackdel ??= this.probe());
  }

  private async probe(): Promise<boolean> {
    try {
      const info = (await this.redis.info('server')) as string;
      const version = /^redis_version:(\d+)\.(\d+)/m.exec(info);
      if (!version) return false;
      const [major, minor] = [Number(version[1]), Number(version[2])];
      return major > XACKDEL_SINCE[0] || (major === XACKDEL_SINCE[0] && minor >= XACKDEL_SINCE[1]);
    } catch {
      // Asked again on the next call: a failed INFO says nothing about the server.
      this.xackdel = undefined;
      return false;
    }
  }
}
