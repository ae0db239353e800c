import type { INestMicroservice } from '@nestjs/common';
import { customerContract, type Customer } from '@popup-store/contracts';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { encodeEntry, entryFields } from './lib/codec';
import type { RedisStreamsBatchContext } from './lib/context';
import { readPayloads, readRecords } from './lib/record-reader';
import { StreamCommands } from './lib/stream-commands';
import { startConsumerApp, type Handle } from './test/consumer-app';

/**
 * Handler-acknowledged streams (the completion trigger's mode), a consumer that heals a vanished stream, its
 * readiness, and the paged reader of records: each through a real Nest microservice on a real Redis.
 */
describe('Redis Streams transport: work queues and healing', () => {
  let redis: TestRedis;
  let admin: Redis;
  let testNumber = 0;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    admin = redis.client();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => redis.dispose());

  function fresh() {
    const n = ++testNumber;
    return { stream: `{${redis.namespace}:q${n}}:customers`, group: `g${n}` };
  }
  const customer = (n: number): Customer => ({ orderId: `t-${n}`, customerId: `c${n}`, submittedAt: 1_000 + n });
  const write = async (stream: string, n: number) =>
    (await admin.xadd(stream, '*', ...encodeEntry(customerContract, customer(n)))) as string;

  async function consume(stream: string, group: string, handle: Handle, extra: Record<string, unknown> = {}) {
    const options = { connection: redis.url, group, streams: { [stream]: customerContract }, blockMs: 200, ...extra };
    const started = await startConsumerApp(options, stream, handle, { acknowledgedBy: 'handler' });
    apps.push(started.app);
    return started.server;
  }

  it('leaves acking to the handler, and acks and deletes what it settles itself (malformed entries)', async () => {
    const { stream, group } = fresh();
    const ids = [await write(stream, 1), await write(stream, 2), await write(stream, 3)];
    await admin.xadd(stream, '*', ...entryFields(customerContract, 'not json'));
    const handled: string[] = [];
    // The handler acks and deletes the first two only: the third stays pending, so the transport acked nothing.
    await consume(stream, group, async (_data, context: RedisStreamsBatchContext) => {
      const mine = context.getMessages().map((message) => message.id);
      handled.push(...mine);
      const done = mine.filter((id) => id !== ids[2]);
      if (done.length)
        await admin
          .multi()
          .xack(stream, group, ...done)
          .xdel(stream, ...done)
          .exec();
    });
    await eventually(
      async () => (await admin.xlen(`${stream}:dead-letter`)) === 1,
      'the malformed entry dead-lettered',
    );
    await eventually(async () => (await admin.xlen(stream)) === 1, 'the settled entries deleted');
    expect(handled).toEqual(ids);
    const [pending, , , consumers] = (await admin.xpending(stream, group)) as [number, string, string, unknown];
    expect({ pending, left: (await admin.xrange(stream, '-', '+')).map(([id]) => id) }).toEqual({
      pending: 1,
      left: [ids[2]],
    });
    expect(consumers).toHaveLength(1);
  });

  it('takes back its own pending entries at start, without waiting for them to go idle', async () => {
    const { stream, group } = fresh();
    await admin.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const ids = [await write(stream, 1), await write(stream, 2)];
    // Read by a process of the same name that then died.
    await admin.xreadgroup('GROUP', group, 'stable', 'STREAMS', stream, '>');
    const handled: string[] = [];
    await consume(
      stream,
      group,
      async (_data, context: RedisStreamsBatchContext) => {
        const mine = context.getMessages().map((message) => message.id);
        handled.push(...mine);
        await admin
          .multi()
          .xack(stream, group, ...mine)
          .xdel(stream, ...mine)
          .exec();
      },
      { consumer: 'stable', minIdleMs: 600_000 },
    );
    await eventually(async () => handled.length === 2, 'its own pending entries handled', 5_000);
    expect(handled).toEqual(ids);
  });

  it('makes a deleted stream and its group again, says so, and goes on', async () => {
    const { stream, group } = fresh();
    const handled: string[] = [];
    const server = await consume(stream, group, async (data) => {
      handled.push(...(data as Customer[]).map((c) => c.orderId));
    });
    const recreated: string[] = [];
    server.on('group-recreated', (s, g) => recreated.push(`${s} ${g}`));
    await eventually(async () => server.readiness().ready === true, 'ready');
    expect(server.readiness()).toEqual({ ready: true, problems: [] });
    await write(stream, 1);
    await eventually(async () => handled.length === 1, 'the first entry');
    await admin.del(stream);
    await eventually(async () => recreated.length === 1, 'the group made again');
    expect(recreated).toEqual([`${stream} ${group}`]);
    await write(stream, 2);
    await eventually(async () => handled.includes('t-2'), 'an entry written after the DEL');
    await eventually(async () => server.readiness().ready === true, 'ready again');
    expect((await admin.xinfo('GROUPS', stream)) as unknown[]).toHaveLength(1);
  });

  it('is ready once it reads, and not while its reads fail', async () => {
    const { stream, group } = fresh();
    const server = await consume(stream, group, async () => undefined);
    await eventually(async () => server.readiness().ready, 'ready once reading');
    // The group's stream turned into another type: every read fails until it is a stream again.
    await admin.del(stream);
    await admin.set(stream, 'not a stream');
    await eventually(async () => !server.readiness().ready, 'not ready');
    expect(server.readiness().problems.join()).toMatch(stream);
    await admin.del(stream);
    await eventually(async () => server.readiness().ready, 'ready again');
  });

  it('holds at most maxReadsInFlight reads of a stream in its handler at once', async () => {
    const { stream, group } = fresh();
    let running = 0;
    let most = 0;
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: number[] = [];
    await consume(
      stream,
      group,
      async (data, context: RedisStreamsBatchContext) => {
        most = Math.max(most, ++running);
        await gate;
        running--;
        const mine = context.getMessages().map((message) => message.id);
        handled.push(...(data as Customer[]).map((c) => c.submittedAt));
        await admin
          .multi()
          .xack(stream, group, ...mine)
          .xdel(stream, ...mine)
          .exec();
      },
      { batchSize: 1, maxReadsInFlight: 2 },
    );
    for (let n = 1; n <= 5; n++) await write(stream, n);
    await eventually(async () => running === 2, 'two reads in the handler');
    // What the handler is not given stays unread, so another read cannot be in flight: the group says so.
    const [info] = (await admin.xinfo('GROUPS', stream)) as unknown[][];
    expect(info[info.indexOf('pending') + 1]).toBe(2);
    release();
    await eventually(async () => handled.length === 5, 'all five handled');
    expect(most).toBe(2);
  });

  it('reads a stream page by page, decoded, with the cause of each malformed entry', async () => {
    const { stream } = fresh();
    for (let n = 1; n <= 25; n++) await write(stream, n);
    await admin.xadd(stream, '*', ...entryFields(customerContract, '{"orderId":1}'));
    const records = [];
    for await (const record of readRecords(admin, stream, customerContract, { pageSize: 10 })) records.push(record);
    expect(records).toHaveLength(26);
    expect(records.filter((r) => r.ok).map((r) => (r.ok ? r.data.orderId : ''))).toEqual(
      Array.from({ length: 25 }, (_, i) => `t-${i + 1}`),
    );
    expect(records[25]).toMatchObject({ ok: false, error: expect.stringMatching(/orderId/) });
    expect(await readPayloads(admin, stream, customerContract, { pageSize: 7 })).toHaveLength(25);
    await expect(readPayloads(admin, stream, customerContract, { strict: true })).rejects.toThrow(
      new RegExp(`entry ${records[25]?.id}: .*orderId`),
    );
  });

  it('acks and deletes in one step: XACKDEL from Redis 8.2, XACK and XDEL in one MULTI before', async () => {
    const { stream, group } = fresh();
    await admin.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const ids = [await write(stream, 1), await write(stream, 2)];
    await admin.xreadgroup('GROUP', group, 'c', 'STREAMS', stream, '>');
    const commands = new StreamCommands(admin);
    const [, version] = /redis_version:(\d+\.\d+)/.exec((await admin.info('server')) as string) ?? [];
    expect(await commands.hasXackdel()).toBe(Number(version) >= 8.2);
    await commands.ackAndDelete(stream, group, ids);
    expect(await admin.xlen(stream)).toBe(0);
    expect(((await admin.xpending(stream, group)) as [number])[0]).toBe(0);
  });
});
