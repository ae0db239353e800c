import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { RedisClusterProcess, RedisServerProcess } from '@popup-store/redis-process';
import { readEnv, redisEnv } from '@popup-store/config';
import { connectRedis, connectServer } from '@popup-store/redis-connection';
import type { Cluster, Redis } from 'ioredis';
import { decideOrdersFunction, type OrderToDecide } from '../src/lib/functions/decide-orders';
import { callGears, type RedisConnection } from '../src/lib/gears-function';
import { loadGears } from '../src/lib/load-gears';
import { ordersOf } from '../test/order-caller';
import { SaleGears } from '../src/lib/sale-gears';

/**
 * What a decision costs on a Redis Cluster beside one Redis, in the same run: popup_decide_orders, batches of
 * BATCH, for 1 sale and for 12 sales at once (one caller per sale), on a single redis-server and on a private
 * 3-master cluster (no replicas, so both sides pay the same per write). Decisions/s is end to end from this one
 * Node process; Redis CPU per decision is INFO's used_cpu_user+sys summed over the servers, per decision.
 * Runs are interleaved; the table shows medians. `npx nx run gears-client:bench-cluster`.
 */
const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 24_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 100);

type Entry = [id: string, fields: string[]];
interface Run {
  readonly perSecond: number;
  readonly cpuMicrosPerDecision: number;
  /** Share of the Redis CPU each server spent, in the servers' order. */
  readonly shares: number[];
}
interface Target {
  readonly name: string;
  readonly connection: RedisConnection;
  /** The servers whose CPU is counted: the one Redis, or every master. */
  readonly servers: () => Redis[];
}

async function cpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return read('used_cpu_user') + read('used_cpu_sys');
}

/** Each sale open with ORDERS / sales orders waiting, read by the fulfilment group: the orders to decide. */
async function prefill(target: Target, sales: SaleKeys[]): Promise<OrderToDecide[][]> {
  await Promise.all(target.servers().map((server) => server.flushall()));
  const perSale = Math.floor(ORDERS / sales.length);
  return Promise.all(
    sales.map(async (sale) => {
      const redis = target.connection;
      await new SaleGears(redis, sale).configure({ stock: perSale, startsAt: 0, endsAt: 99_999_999_999_999 });
      await redis.xgroup('CREATE', sale.orders, 'fulfilment', '0', 'MKSTREAM');
      for (let from = 0; from < perSale; from += 2000) {
        const count = Math.min(2000, perSale - from);
        const customers = redis.pipeline();
        for (let i = from; i < from + count; i++) customers.xadd(sale.customers, '*', 'v', '1', 'data', `{"customerId":"c${i}"}`);
        const ids = ((await customers.exec()) ?? []).map(([, id]) => id as string);
        const orders = redis.pipeline();
        ids.forEach((customerEntryId, k) => {
          const data = { orderId: `o${from + k}`, customerId: `c${from + k}`, submittedAt: 1, orderedAt: 1, customerEntryId };
          orders.xadd(sale.orders, '*', 'v', '1', 'data', JSON.stringify(data));
        });
        await orders.exec();
      }
      const read = (await redis.xreadgroup('GROUP', 'fulfilment', 'bench', 'COUNT', perSale, 'STREAMS', sale.orders, '>')) as [
        string,
        Entry[],
      ][];
      return ordersOf(read[0]?.[1] ?? []);
    }),
  );
}

async function run(target: Target, sales: SaleKeys[]): Promise<Run> {
  const orders = await prefill(target, sales);
  const servers = target.servers();
  const before = await Promise.all(servers.map(cpuSeconds));
  const started = process.hrtime.bigint();
  await Promise.all(
    sales.map(async (sale, s) => {
      const own = orders[s] ?? [];
      for (let i = 0; i < own.length; i += BATCH) {
        await callGears(target.connection, decideOrdersFunction, sale, { orders: own.slice(i, i + BATCH) });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const spent = (await Promise.all(servers.map(cpuSeconds))).map((after, i) => after - (before[i] as number));
  const total = spent.reduce((a, b) => a + b, 0);
  const decided = orders.reduce((n, o) => n + o.length, 0);
  const completed = await Promise.all(sales.map((sale) => target.connection.xlen(sale.completed)));
  if (completed.reduce((a, b) => a + b, 0) !== decided) throw new Error(`${target.name}: not every order completed`);
  return { perSecond: decided / seconds, cpuMicrosPerDecision: (total * 1e6) / decided, shares: spent.map((s) => s / total) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

it(`decides ${ORDERS} orders per run on one Redis and on a 3-master cluster, ${ROUNDS} rounds`, async () => {
  const server = await RedisServerProcess.start();
  const cluster = await RedisClusterProcess.start({ replicasPerMaster: 0 });
  const single = connectServer(server.url);
  const clustered = connectRedis(readEnv(redisEnv, { REDIS_CLUSTER_NODES: cluster.nodesSpec })) as Cluster;
  try {
    await loadGears(single);
    await loadGears(clustered);
    const masters = (await cluster.topology()).filter((node) => node.role === 'master');
    const owner = async (sale: SaleKeys) => {
      const slot = await cluster.keySlot(sale.state);
      return masters.findIndex((m) => m.slots.some(([a, b]) => slot >= a && slot <= b));
    };
    // Sale ids picked so that each master serves 4 of the 12: the hash tag decides, not the id's order.
    const twelve: SaleKeys[] = [];
    const spread: number[] = [];
    for (let i = 0; twelve.length < 12; i++) {
      const sale = saleKeys(`bench-${i}`);
      const master = await owner(sale);
      if (spread.filter((m) => m === master).length >= 4) continue;
      twelve.push(sale);
      spread.push(master);
    }
    const one = twelve.slice(0, 1);
    const singleTarget: Target = { name: 'one Redis', connection: single, servers: () => [single] };
    const clusterTarget: Target = {
      name: '3-master cluster',
      connection: clustered,
      servers: () => masters.map((m) => clustered.nodes('master').find((n) => n.options.port === m.port) as Redis),
    };
    const ways = [
      { name: '1 sale, one Redis', target: singleTarget, sales: one },
      { name: '1 sale, 3-master cluster', target: clusterTarget, sales: one },
      { name: '12 sales, one Redis', target: singleTarget, sales: twelve },
      { name: '12 sales, 3-master cluster', target: clusterTarget, sales: twelve },
    ];
    const runs = ways.map(() => [] as Run[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, way] of ways.entries()) runs[i]?.push(await run(way.target, way.sales));
    }
    const rows = ways.map((way, i) => {
      const results = runs[i] ?? [];
      const shares = (results[0]?.shares ?? []).map((_, k) => median(results.map((r) => r.shares[k] as number)));
      return {
        name: way.name,
        perSecond: median(results.map((r) => r.perSecond)),
        cpu: median(results.map((r) => r.cpuMicrosPerDecision)),
        shares,
      };
    });
    const [oneSingle, oneCluster, manySingle, manyCluster] = rows as [(typeof rows)[number], ...(typeof rows)[number][]];
    const pct = (shares: number[]) => shares.map((s) => `${Math.round(s * 100)}%`).join(' / ');
    const lines = [
      `redis-server ${(await single.info('server')).match(/redis_version:(\S+)/)?.[1]}, ${ORDERS} decisions per run, batch ${BATCH}, median of ${ROUNDS}`,
      `the 12 sales on the cluster's masters: ${[0, 1, 2].map((m) => spread.filter((s) => s === m).length).join(' / ')}`,
      `${'way'.padEnd(30)} ${'decisions/s'.padStart(12)} ${'Redis CPU µs/decision'.padStart(22)}  CPU share per server`,
      ...rows.map(
        (r) => `${r.name.padEnd(30)} ${Math.round(r.perSecond).toString().padStart(12)} ${r.cpu.toFixed(2).padStart(22)}  ${pct(r.shares)}`,
      ),
      `cluster / one Redis, 1 sale: ${((oneCluster?.perSecond ?? 0) / oneSingle.perSecond).toFixed(2)}x decisions/s, ${((oneCluster?.cpu ?? 0) / oneSingle.cpu).toFixed(2)}x CPU per decision`,
      `cluster / one Redis, 12 sales: ${((manyCluster?.perSecond ?? 0) / (manySingle?.perSecond ?? 1)).toFixed(2)}x decisions/s, ${((manyCluster?.cpu ?? 0) / (manySingle?.cpu ?? 1)).toFixed(2)}x CPU per decision`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
  } finally {
    single.disconnect();
    clustered.disconnect();
    await Promise.all([server.dispose(), cluster.dispose()]);
  }
});
