import { loadGears } from '@popup-store/gears-client';
import { connectServer } from '@popup-store/redis-connection';
import { startTestCluster, type TestCluster } from '@popup-store/redis-harness';
import type { Cluster } from 'ioredis';
import { testIdentity, type TestIdentity } from '../test/test-identity';
import { startTestIntake, type TestIntake } from '../test/test-intake';

/**
 * The write of an accepted order waits for REDIS_WAIT_REPLICAS replicas, on a Redis Cluster whose masters have one
 * replica each: one acknowledges, so asking for two shows what a write fewer replicas took answers.
 */
describe('customer-intake: an order counts once replicas hold it', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let identity: TestIdentity;
  let intake: TestIntake | undefined;
  let sales = 0;

  const start = async (replicas: number) => {
    intake = await startTestIntake(
      client,
      `redis://${cluster.nodes.split(',')[0]}`,
      `${cluster.namespace}-${++sales}`,
      5,
      {
        ...identity.env,
        REDIS_CLUSTER_NODES: cluster.nodes,
        REDIS_WAIT_REPLICAS: String(replicas),
        REDIS_WAIT_TIMEOUT_MS: '200',
        STATUS_REFRESH_MS: '1000',
      },
    );
    return intake;
  };
  const orderAs = async (name: string) =>
    intake?.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: await identity.bearer(name) } });

  beforeAll(async () => {
    cluster = await startTestCluster();
    client = cluster.client();
    identity = await testIdentity();
    await loadGears(client);
  }, 60_000);
  afterEach(async () => {
    await intake?.app.close();
    intake = undefined;
  });
  afterAll(() => cluster?.dispose());

  it('answers 202 once the master’s replica holds the entry', async () => {
    const { sale } = await start(1);
    expect((await orderAs('ada'))?.statusCode).toBe(202);
    const master = await cluster.masterOf(sale.customers);
    const replica = (await cluster.topology()).find((node) => node.masterId === master.id);
    const onReplica = connectServer(`redis://127.0.0.1:${replica?.port}`);
    try {
      // READONLY: a replica serves reads of its master's slots instead of redirecting them.
      await onReplica.call('READONLY');
      expect(await onReplica.xlen(sale.customers)).toBe(1);
    } finally {
      onReplica.disconnect();
    }
  });

  it('answers 503 for an entry fewer replicas had in time, though the master has it', async () => {
    const { sale } = await start(2);
    const answer = await orderAs('bob');
    expect(answer?.statusCode).toBe(503);
    expect(answer?.json()).toMatchObject({ reason: 'unavailable' });
    expect(await client.xlen(sale.customers)).toBe(1);
  });

  it('answers 409 to a customer holding a unit whatever the replicas said: nothing was written to wait for', async () => {
    const { sale } = await start(2);
    await client.hset(sale.buyers, identity.sub('cid'), 'earlier-order:1');
    const answer = await orderAs('cid');
    expect(answer?.statusCode).toBe(409);
    expect(answer?.json()).toMatchObject({ reason: 'duplicate' });
    expect(await client.exists(sale.customers)).toBe(0);
  });
});
