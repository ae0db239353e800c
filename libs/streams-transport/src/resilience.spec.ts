import type { INestMicroservice } from '@nestjs/common';
import { customerContract, type Customer } from '@popup-store/contracts';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { RedisStreamsClient } from './lib/client';
import type { RedisConnection } from './lib/connection';
import type { RedisStreamsContext } from './lib/context';
import { startConsumerApp, type Handle } from './test/consumer-app';
import { eventually } from '@popup-store/redis-harness';

const customer = (i: number): Customer => ({
  orderId: `t-${i}`,
  customerId: `c${i}`,
  submittedAt: 1_760_000_000_000 + i,
});

describe('Redis Streams transport under failures', () => {
  let redis: TestRedis;
  const apps: INestMicroservice[] = [];
  const clients: RedisStreamsClient[] = [];

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(() => redis.dispose());

  function producer(stream: string, connection: RedisConnection = redis.url): RedisStreamsClient {
    const client = new RedisStreamsClient({ connection, streams: { [stream]: customerContract } });
    clients.push(client);
    return client;
  }

  it('reclaims what a consumer process killed with SIGKILL held, and handles every entry', async () => {
    const stream = `{${redis.namespace}:killed}:customers`;
    const db = redis.client();
    await db.xgroup('CREATE', stream, 'intake', '0', 'MKSTREAM');
    const ids = await producer(stream).emitBatch(
      stream,
      Array.from({ length: 50 }, (_, i) => customer(i)),
    );

    const doomed = spawn(
      process.execPath,
      [join(__dirname, 'test/doomed-consumer.cjs'), redis.url, stream, 'intake', 'doomed', '20'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [line] = (await once(doomed.stdout, 'data')) as [Buffer];
    const held = JSON.parse(line.toString()) as string[];
    expect(held).toEqual(ids.slice(0, 20));
    doomed.kill('SIGKILL');
    await once(doomed, 'exit');
    expect(await db.xpending(stream, 'intake')).toEqual([20, ids[0], ids[19], [['doomed', '20']]]);

    const deliveries = new Map<string, number>();
    const handle = (_: Customer, ctx: RedisStreamsContext) => {
      deliveries.set(ctx.getMessageId(), ctx.getDeliveryCount());
    };
    const options = {
      connection: redis.url,
      group: 'intake',
      consumer: 'survivor',
      streams: { [stream]: customerContract },
    };
    const { app } = await startConsumerApp(
      { ...options, minIdleMs: 100, reclaimIntervalMs: 25 },
      stream,
      handle as Handle,
    );
    apps.push(app);

    await eventually(() => deliveries.size === 50, 'all 50 entries handled');
    expect(held.map((id) => deliveries.get(id))).toEqual(held.map(() => 2));
    expect(ids.slice(20).map((id) => deliveries.get(id))).toEqual(ids.slice(20).map(() => 1));
    await eventually(async () => ((await db.xpending(stream, 'intake')) as [number])[0] === 0, 'nothing pending');
  });

  it('rides out a Redis crash and restart, recreating its group, and still closes while Redis is down', async () => {
    const stream = `{${redis.namespace}:crash}:customers`;
    const handled: string[] = [];
    // Few retries per command, so that acks fail fast while Redis is down and close() does not wait for them;
    // a short disconnectTimeout, or ioredis keeps a timer for a socket that is already gone.
    const connection = redis.client({ maxRetriesPerRequest: 2, disconnectTimeout: 50 });
    const options = { connection, group: 'intake', streams: { [stream]: customerContract }, blockMs: 300 };
    const { app } = await startConsumerApp(options, stream, ((data: Customer) => {
      handled.push(data.orderId);
    }) as Handle);
    const client = producer(stream, connection);
    await client.emitBatch(stream, [customer(1)]);
    await eventually(() => handled.length === 1, 'the first entry handled');

    // No persistence: the stream and the group are gone after the restart.
    await redis.kill();
    await redis.restart();
    await client.emitBatch(stream, [customer(2)]);
    await eventually(() => handled.includes('t-2'), 'an entry written after the restart handled', 10_000);

    await redis.kill();
    const closing = Date.now();
    await app.close();
    expect(Date.now() - closing).toBeLessThan(3000);
    await redis.restart();
  });
});
