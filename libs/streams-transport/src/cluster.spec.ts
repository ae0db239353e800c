import type { INestMicroservice } from '@nestjs/common';
import { readEnv, redisEnv, type RedisEnv } from '@popup-store/config';
import { customerContract, type Customer } from '@popup-store/contracts';
import { eventually, startTestCluster, type TestCluster } from '@popup-store/redis-harness';
import { RedisStreamsClient } from './lib/client';
import { startConsumerApp } from './test/consumer-app';

/** The transport on a Redis Cluster (3 masters, a replica each), reached as the services reach it: REDIS_CLUSTER_NODES. */
describe('Redis Streams transport on a Redis Cluster', () => {
  let cluster: TestCluster;
  let env: RedisEnv;
  let testNumber = 0;
  const apps: INestMicroservice[] = [];
  const clients: RedisStreamsClient[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    env = readEnv(redisEnv, { REDIS_URL: process.env['REDIS_URL'], REDIS_CLUSTER_NODES: cluster.nodes });
  }, 60_000);

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await cluster?.dispose();
  });

  const customer = (n: number): Customer => ({
    orderId: `t-${n}`,
    customerId: `c${n}`,
    submittedAt: 1_760_000_000_000 + n,
  });
  const freshStream = () => `{${cluster.namespace}:sale${++testNumber}}:customers`;

  function producer(stream: string, extra: Partial<ConstructorParameters<typeof RedisStreamsClient>[0]> = {}) {
    const client = new RedisStreamsClient({ connection: env, streams: { [stream]: customerContract }, ...extra });
    clients.push(client);
    return client;
  }

  /** A fresh stream on each master: a reader connects to its stream's master only when it first reads. */
  async function streamOnEachMaster(): Promise<string[]> {
    const byMaster = new Map<number, string>();
    while (byMaster.size < 3) {
      const stream = freshStream();
      const { port } = await cluster.masterOf(stream);
      if (!byMaster.has(port)) byMaster.set(port, stream);
    }
    return [...byMaster.values()];
  }

  it('hands the very first entry of a stream to the first read, on every master (not later, by a reclaim)', async () => {
    const streams = await streamOnEachMaster();
    const handled: string[] = [];
    for (const stream of streams) {
      // Reclaiming only after a minute: within the wait below, only the blocking read can deliver the entry.
      const { app } = await startConsumerApp(
        { connection: env, group: 'g', streams: { [stream]: customerContract }, blockMs: 2000, minIdleMs: 60_000 },
        stream,
        (data) => void handled.push((data as Customer).orderId),
      );
      apps.push(app);
    }
    await Promise.all(streams.map((stream, i) => producer(stream).emitBatch(stream, [customer(i)])));
    await eventually(() => handled.length === 3, 'the first entry of each stream handled by a read', 10_000);
    const client = cluster.client();
    for (const stream of streams) expect(await client.xpending(stream, 'g')).toEqual([0, null, null, null]);
  });

  it('waits for a replica before a write counts (WAIT on the stream’s master), and fails one too few replicas took', async () => {
    const stream = freshStream();
    const waited = producer(stream, { replicaAcks: { replicas: 1, timeoutMs: 2000 } });
    const [id] = await waited.emitBatch(stream, [customer(1), customer(2)]).then((ids) => ids.slice(-1));
    expect(id).toMatch(/^\d+-\d+$/);
    // Each master has one replica: two cannot acknowledge, and the write says it is on the master only.
    const tooMany = producer(stream, { replicaAcks: { replicas: 2, timeoutMs: 100 } });
    await expect(tooMany.emitBatch(stream, [customer(3)])).rejects.toThrow(
      /written on the master, but 1 of 2 replicas/,
    );
    expect(await cluster.client().xlen(stream)).toBe(3);
  });
});
