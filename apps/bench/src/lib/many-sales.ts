import type { OrderToDecide } from '@popup-store/gears-client';
import { loadGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { connectRedis, connectServer, type RedisConnection } from '@popup-store/redis-connection';
import { RedisClusterProcess } from '@popup-store/redis-process';
import type { Cluster, Redis } from 'ioredis';
import { redisCpuSeconds } from './cpu';
import { decideAll } from './engine';
import type { Figures } from './figures';
import { openSale, readOrders, writeCustomers, writeOrders } from './orders';
import { assertSale, checkSale } from './sale-check';

export interface ManySalesPlan {
  readonly sales: number;
  /** Orders of each sale, each with a unit (every order takes the full completion path). */
  readonly ordersPerSale: number;
  readonly batch: number;
}

/** The cluster's masters, for the many-sales scenario's second case. */
export const CLUSTER_MASTERS = 3;

/**
 * The many-sales scenario's decision engine: `plan.sales` sales, each with its orders written and read
 * beforehand, decided `batch` at a time, every sale by a caller of its own, all at once, through `redis` (one
 * server, or a cluster client that sends each sale's FCALL to its slot's master). Figures: decisions/s of all the
 * sales together and Redis CPU µs per decision in all, and each of `servers`' share of it, busiest first (which
 * master holds which slots changes from run to run: ranked, the medians of each rank line up).
 */
async function decideSales(
  redis: RedisConnection,
  servers: readonly Redis[],
  sales: readonly SaleKeys[],
  plan: ManySalesPlan,
): Promise<Figures> {
  const orders = new Map<SaleKeys, OrderToDecide[]>();
  for (const sale of sales) {
    await openSale(redis, sale, plan.ordersPerSale);
    await writeOrders(redis, sale, await writeCustomers(redis, sale, plan.ordersPerSale));
    orders.set(sale, await readOrders(redis, sale, plan.ordersPerSale));
  }
  const before = await Promise.all(servers.map(redisCpuSeconds));
  const started = performance.now();
  await Promise.all(sales.map((sale) => decideAll([redis], sale, orders.get(sale) ?? [], plan.batch)));
  const seconds = (performance.now() - started) / 1000;
  const after = await Promise.all(servers.map(redisCpuSeconds));
  for (const sale of sales) assertSale(`many sales, ${sale.saleId}`, await checkSale(redis, sale, plan.ordersPerSale));
  const decisions = sales.length * plan.ordersPerSale;
  const perServer = servers.map((_, i) => ((after[i] - before[i]) * 1e6) / decisions).sort((a, b) => b - a);
  return {
    decisionsPerSecond: decisions / seconds,
    redisCpuMicrosPerDecision: perServer.reduce((sum, micros) => sum + micros, 0),
    ...(servers.length > 1
      ? Object.fromEntries(perServer.map((micros, rank) => [`redisCpuMicrosPerDecision:rank-${rank + 1}`, micros]))
      : {}),
  };
}

/** Twelve (`plan.sales`) sales on the bench's one Redis, decided at once. */
export async function manySalesOnOneRedis(redis: Redis, plan: ManySalesPlan): Promise<Figures> {
  await redis.flushall();
  const sales = Array.from({ length: plan.sales }, (_, i) => saleKeys(`many-${i + 1}`));
  return decideSales(redis, [redis], sales, plan);
}

/**
 * The same sales on a private cluster of {@link CLUSTER_MASTERS} masters (no replicas: the one Redis has none
 * either), chosen so that each master holds as many of them: the gears loaded on every master. Figures as
 * {@link decideSales}, `redisCpuMicrosPerDecision:rank-<n>` for each master's share.
 */
export async function manySalesOnCluster(plan: ManySalesPlan): Promise<Figures> {
  const cluster = await RedisClusterProcess.start({ masters: CLUSTER_MASTERS, replicasPerMaster: 0 });
  let client: Cluster | undefined;
  const masters: Redis[] = [];
  try {
    const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
    client = connectRedis({ mode: 'cluster', nodes, tls: false }) as Cluster;
    await loadGears(client);
    const topology = await cluster.topology();
    for (const node of topology.filter((one) => one.role === 'master'))
      masters.push(connectServer(`redis://127.0.0.1:${node.port}`));
    const sales = await spreadSales(cluster, plan.sales);
    return await decideSales(client, masters, sales, plan);
  } finally {
    for (const master of masters) master.disconnect();
    client?.disconnect();
    await cluster.dispose();
  }
}

/** `count` sale ids, as many on each master as can be: ids tried in turn, each kept while its master has room. */
async function spreadSales(cluster: RedisClusterProcess, count: number): Promise<SaleKeys[]> {
  const topology = await cluster.topology();
  const masters = topology.filter((node) => node.role === 'master');
  const room = new Map(masters.map((master) => [master.id, Math.ceil(count / masters.length)]));
  const sales: SaleKeys[] = [];
  for (let i = 1; sales.length < count; i++) {
    const sale = saleKeys(`many-${i}`);
    const slot = await cluster.keySlot(sale.state);
    const owner = masters.find((master) => master.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    const left = room.get(owner.id) ?? 0;
    if (left === 0) continue;
    room.set(owner.id, left - 1);
    sales.push(sale);
  }
  return sales;
}
