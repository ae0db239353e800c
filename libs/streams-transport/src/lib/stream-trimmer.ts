import type { RedisClient } from './connection';
import type { RetentionPolicy } from './options';
import { compareStreamIds, nextStreamId } from './stream-id';

/** Most entries one maxLen trim looks at (XRANGE): a stream far over its maxLen catches up over several runs. */
const MAX_LEN_SCAN = 1000;

/**
 * Trims a stream by its retention policy without ever removing an entry a consumer group still needs: the
 * policy's MINID is lowered to the oldest entry some group has pending or has not been delivered yet.
 * Everything is keyed by the one stream, so it runs as is on a cluster.
 */
export class StreamTrimmer {
  constructor(private readonly redis: RedisClient) {}

  /** Trims once; returns how many entries Redis removed. */
  async trim(stream: string, policy: RetentionPolicy): Promise<number> {
    const length = await this.redis.xlen(stream);
    if (length === 0) return 0;
    const wanted = await this.policyFloor(stream, length, policy);
    if (wanted === undefined) return 0;
    const safe = await this.safeFloor(stream);
    const floor = safe !== undefined && compareStreamIds(safe, wanted) < 0 ? safe : wanted;
    return policy.exact ? this.redis.xtrim(stream, 'MINID', floor) : this.redis.xtrim(stream, 'MINID', '~', floor);
  }

  /**
   * The lowest id any group of the stream still needs (its oldest pending entry, or the one after its
   * last-delivered id); undefined when the stream has no group, so nothing constrains the policy.
   */
  async safeFloor(stream: string): Promise<string | undefined> {
    const groups = (await this.redis.xinfo('GROUPS', stream)) as unknown[][];
    const pipeline = this.redis.pipeline();
    const lastDelivered: string[] = [];
    for (const info of groups) {
      const group = infoField(info, 'name');
      lastDelivered.push(infoField(info, 'last-delivered-id'));
      pipeline.xpending(stream, group);
    }
    const summaries = groups.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    let floor: string | undefined;
    summaries.forEach(([error, summary], index) => {
      if (error) throw error;
      const [pending, lowest] = summary as [number, string | null];
      const needed = pending > 0 && lowest !== null ? lowest : nextStreamId(lastDelivered[index]);
      if (floor === undefined || compareStreamIds(needed, floor) < 0) floor = needed;
    });
    return floor;
  }

  /** The lowest id the policy keeps; undefined when it keeps the whole stream. */
  private async policyFloor(
    stream: string,
    length: number,
    { maxLen, maxAgeMs }: RetentionPolicy,
  ): Promise<string | undefined> {
    let floor: string | undefined;
    if (maxAgeMs !== undefined) {
      // Redis's clock, not ours: ids are stamped by the server.
      const [seconds, micros] = await this.redis.time();
      floor = `${Math.max(0, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - maxAgeMs)}-0`;
    }
    if (maxLen !== undefined) {
      const excess = length - maxLen;
      if (excess > 0) {
        const oldest = await this.redis.xrange(stream, '-', '+', 'COUNT', Math.min(excess, MAX_LEN_SCAN));
        const cut = nextStreamId(oldest[oldest.length - 1][0]);
        if (floor === undefined || compareStreamIds(cut, floor) > 0) floor = cut;
      }
    }
    return floor;
  }
}

function infoField(info: unknown[], name: string): string {
  const index = info.indexOf(name);
  if (index < 0 || index % 2 !== 0) throw new Error(`XINFO GROUPS reply without ${name}`);
  return String(info[index + 1]);
}
