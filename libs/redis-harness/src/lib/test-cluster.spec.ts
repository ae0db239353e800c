import { eventually } from './eventually';
import { startTestCluster, type TestCluster } from './test-cluster';

describe('startTestCluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ owned: true });
  }, 30_000);
  afterAll(() => cluster.dispose());

  it('starts 3 masters with a replica each, every slot served', async () => {
    const nodes = await cluster.topology();
    const masters = nodes.filter((node) => node.role === 'master');
    expect(masters).toHaveLength(3);
    expect(nodes.filter((node) => node.role === 'replica').map((node) => node.masterId).sort()).toEqual(
      masters.map((master) => master.id).sort(),
    );
    expect(masters.flatMap((m) => m.slots).reduce((n, [from, to]) => n + to - from + 1, 0)).toBe(16_384);
    expect(cluster.nodes.split(',')).toHaveLength(6);
  });

  it('kill -9 of a master: its replica takes its slots, the client follows, and the old master rejoins as a replica', async () => {
    const key = `{${cluster.namespace}}:counter`;
    const client = cluster.client();
    await client.incr(key);
    await client.call('WAIT', '1', '2000');
    const master = await cluster.masterOf(key);
    const replica = (await cluster.topology()).find((node) => node.masterId === master.id);

    await cluster.process.kill(master.port);
    await eventually(async () => (await cluster.masterOf(key)).id === replica?.id, 'the replica to be promoted', 15_000);
    await eventually(async () => (await client.incr(key)) >= 2, 'the client to write again', 10_000);
    expect(Number(await client.get(key))).toBeGreaterThanOrEqual(2);

    await cluster.process.restart(master.port);
    await cluster.process.waitUntilHealthy();
    const rejoined = (await cluster.topology()).find((node) => node.id === master.id);
    expect(rejoined).toMatchObject({ role: 'replica', masterId: replica?.id, failed: false });
  }, 40_000);

  it('refuses faults on a cluster it did not start', async () => {
    const saved = process.env['REDIS_CLUSTER_NODES'];
    process.env['REDIS_CLUSTER_NODES'] = cluster.nodes;
    const shared = await startTestCluster();
    try {
      expect(shared.source).toBe('env');
      expect(await shared.client().set(`{${shared.namespace}}:k`, 'v')).toBe('OK');
      expect(() => shared.process).toThrow(/REDIS_CLUSTER_NODES/);
    } finally {
      await shared.dispose();
      if (saved === undefined) delete process.env['REDIS_CLUSTER_NODES'];
      else process.env['REDIS_CLUSTER_NODES'] = saved;
    }
  });
});
