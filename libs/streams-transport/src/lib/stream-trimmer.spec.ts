import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { StreamTrimmer } from './stream-trimmer';

describe('StreamTrimmer', () => {
  let redis: TestRedis;
  let db: Redis;
  let trimmer: StreamTrimmer;
  let stream: string;
  let n = 0;

  beforeAll(async () => {
    redis = await startTestRedis();
    db = redis.client();
    trimmer = new StreamTrimmer(db);
  });
  beforeEach(() => {
    stream = `{${redis.namespace}:trim${++n}}:s`;
  });
  afterAll(() => redis.dispose());

  /** Appends entries with ids 1-0, 2-0, … so the test can name them. */
  async function fill(count: number): Promise<void> {
    const pipeline = db.pipeline();
    for (let i = 1; i <= count; i++) pipeline.xadd(stream, `${i}-0`, 'v', '1', 'data', '{}');
    await pipeline.exec();
  }

  async function readAs(group: string, count: number): Promise<string[]> {
    const reply = (await db.xreadgroup('GROUP', group, 'c', 'COUNT', count, 'STREAMS', stream, '>')) as Array<
      [string, Array<[string, string[]]>]
    >;
    return reply[0][1].map(([id]) => id);
  }

  const ids = async () => (await db.xrange(stream, '-', '+')).map(([id]) => id);

  it('never trims entries a group has pending or has not been delivered', async () => {
    await fill(10);
    await db.xgroup('CREATE', stream, 'g', '0');
    const delivered = await readAs('g', 6);
    await db.xack(stream, 'g', ...delivered.slice(0, 4));

    // The policy alone would keep 2 entries; entries 5 and 6 are pending, 7 to 10 undelivered.
    expect(await trimmer.trim(stream, { maxLen: 2, exact: true })).toBe(4);
    expect(await ids()).toEqual(['5-0', '6-0', '7-0', '8-0', '9-0', '10-0']);

    await db.xack(stream, 'g', '5-0', '6-0');
    expect(await trimmer.trim(stream, { maxLen: 2, exact: true })).toBe(2);
    expect(await ids()).toEqual(['7-0', '8-0', '9-0', '10-0']);

    await db.xack(stream, 'g', ...(await readAs('g', 10)));
    expect(await trimmer.trim(stream, { maxLen: 2, exact: true })).toBe(2);
    expect(await ids()).toEqual(['9-0', '10-0']);
  });

  it('holds back for the slowest group, even one that has read nothing yet', async () => {
    await fill(5);
    await db.xgroup('CREATE', stream, 'fast', '0');
    await db.xgroup('CREATE', stream, 'slow', '0');
    await db.xack(stream, 'fast', ...(await readAs('fast', 5)));
    expect(await trimmer.trim(stream, { maxLen: 1, exact: true })).toBe(0);
    expect(await trimmer.safeFloor(stream)).toBe('0-1');

    await db.xack(stream, 'slow', ...(await readAs('slow', 3)));
    expect(await trimmer.trim(stream, { maxLen: 1, exact: true })).toBe(3);
    expect(await ids()).toEqual(['4-0', '5-0']);
  });

  it('trims by age on the Redis clock, only what every group has acked', async () => {
    await fill(3);
    await db.xadd(stream, '*', 'v', '1', 'data', '{}');
    await db.xgroup('CREATE', stream, 'g', '0');
    expect(await trimmer.trim(stream, { maxAgeMs: 60_000, exact: true })).toBe(0);
    await db.xack(stream, 'g', ...(await readAs('g', 2)));
    expect(await trimmer.trim(stream, { maxAgeMs: 60_000, exact: true })).toBe(2);
    await db.xack(stream, 'g', ...(await readAs('g', 10)));
    expect(await trimmer.trim(stream, { maxAgeMs: 60_000, exact: true })).toBe(1);
    expect(await db.xlen(stream)).toBe(1);
  });

  it('applies the policy alone on a stream no group reads, and leaves a missing stream alone', async () => {
    await fill(5);
    expect(await trimmer.trim(stream, { maxLen: 3, exact: true })).toBe(2);
    expect(await trimmer.trim(`${stream}:none`, { maxLen: 3 })).toBe(0);
  });

  it('trims whole nodes by default (~), still never past what a group needs', async () => {
    await fill(1000);
    await db.xgroup('CREATE', stream, 'g', '0');
    await db.xack(stream, 'g', ...(await readAs('g', 450)));
    const removed = await trimmer.trim(stream, { maxLen: 10 });
    expect(removed).toBeGreaterThan(0);
    expect(removed).toBeLessThanOrEqual(450);
    expect((await ids())[0]).toBe(`${removed + 1}-0`);
  });
});
