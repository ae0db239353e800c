import { deadLetterStream, saleKeys } from '@popup-store/keys';
import { startTestCluster, startTestRedis, type TestCluster, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { startOver } from './start-over';

describe('startOver', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
  });

  afterAll(() => redis.dispose());

  it("deletes every key of the sale and keeps other sales' keys and the rest", async () => {
    const sale = saleKeys(`${redis.namespace}-a`);
    // A sale whose id starts with this one's, and keys that merely mention it, must survive.
    const neighbour = saleKeys(`${redis.namespace}-ab`);
    const others = [neighbour.state, `${redis.namespace}-a:state`, `x${sale.state}`];
    await client.hset(sale.state, 'stock', 10);
    await client.hset(sale.decisions, 'o1', 'completed:1:1');
    await client.xgroup('CREATE', sale.customers, 'order-generation', '0', 'MKSTREAM');
    await client.xadd(deadLetterStream(sale.orders), '*', 'field', 'value');
    // More keys than one SCAN step returns.
    await client.mset(Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`${sale.tag}:extra:${i}`, i])));
    await client.set(sale.report, '{}');
    for (const key of others) await client.set(key, 'keep');

    expect(await startOver(client, sale)).toBe(2505);

    expect(await client.keys(`${sale.tag}*`)).toEqual([]);
    for (const key of others) expect(await client.get(key)).toBe('keep');
    expect(await startOver(client, sale)).toBe(0);
  });
});

describe('startOver on a Redis Cluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ replicasPerMaster: 0 });
  }, 60_000);

  afterAll(() => cluster?.dispose());

  it("finds the sale's keys on whichever master holds its slot (SCAN sees one node), and keeps the other sales'", async () => {
    const client = cluster.client();
    // Sales on every master: whichever node the client would SCAN by default, most are elsewhere.
    const sales = Array.from({ length: 6 }, (_, i) => saleKeys(`${cluster.namespace}-${i}`));
    for (const sale of sales) await client.mset({ [sale.state]: 'x', [sale.report]: '{}' });
    const owners = new Set(await Promise.all(sales.map(async (sale) => (await cluster.masterOf(sale.state)).port)));
    expect(owners.size).toBeGreaterThan(1);
    for (const [i, sale] of sales.entries()) {
      expect(await startOver(client, sale)).toBe(2);
      expect(await client.exists(sale.state, sale.report)).toBe(0);
      for (const other of sales.slice(i + 1)) expect(await client.exists(other.state)).toBe(1);
    }
  });
});
