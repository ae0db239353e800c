import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { RedisServerProcess } from '@popup-store/redis-process';
import { connectServer } from '@popup-store/redis-connection';
import type { Redis } from 'ioredis';
import { decideOrdersFunction, type OrderToDecide } from '../src/lib/functions/decide-orders';
import { callGears } from '../src/lib/gears-function';
import { loadGears } from '../src/lib/load-gears';
import { ordersOf } from '../test/order-caller';
import { SaleGears } from '../src/lib/sale-gears';

/**
 * Completions per second through popup_decide_orders at several batch sizes, beside the original demo's way (a
 * client reading 3 orders at a time and completing each with XADD, XDEL and DECR round trips, no checks), on a
 * private redis-server. Runs are interleaved; the table shows medians. `npx nx bench gears-client`.
 */
const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 20_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const BATCHES = [1, 10, 100, 1000];

type Entry = [id: string, fields: string[]];
interface Run {
  readonly perSecond: number;
  readonly cpuMicrosPerDecision: number;
}

async function cpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return read('used_cpu_user') + read('used_cpu_sys');
}

/** A sale with ORDERS orders waiting on its orders stream (and their customer entries). */
async function prefill(redis: Redis, sale: SaleKeys): Promise<void> {
  await redis.flushall();
  await new SaleGears(redis, sale).configure({ stock: ORDERS, startsAt: 0, endsAt: 99_999_999_999_999 });
  await redis.set(`${sale.tag}:product`, ORDERS);
  await redis.xgroup('CREATE', sale.orders, 'fulfilment', '0', 'MKSTREAM');
  for (let from = 0; from < ORDERS; from += 5000) {
    const customers = redis.pipeline();
    const count = Math.min(5000, ORDERS - from);
    for (let i = from; i < from + count; i++) customers.xadd(sale.customers, '*', 'v', '1', 'data', `{"customerId":"c${i}"}`);
    const ids = ((await customers.exec()) ?? []).map(([, id]) => id as string);
    const orders = redis.pipeline();
    ids.forEach((customerEntryId, k) => {
      const data = { orderId: `o${from + k}`, customerId: `c${from + k}`, submittedAt: Date.now(), orderedAt: Date.now(), customerEntryId };
      orders.xadd(sale.orders, '*', 'v', '1', 'data', JSON.stringify(data));
    });
    await orders.exec();
  }
}

async function timed(redis: Redis, work: () => Promise<void>): Promise<Run> {
  const cpuBefore = await cpuSeconds(redis);
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = (await cpuSeconds(redis)) - cpuBefore;
  if ((await redis.xlen(`{sale:bench}:completed`)) !== ORDERS) throw new Error('not every order completed');
  return { perSecond: ORDERS / seconds, cpuMicrosPerDecision: (cpu * 1e6) / ORDERS };
}

/**
 * The function alone: the orders are read beforehand, then decided `batch` at a time, by `inFlight` callers each
 * making one FCALL after another (with 2, Redis works on one batch while the client prepares the next).
 */
async function viaFunction(redis: Redis, sale: SaleKeys, batch: number, inFlight: Redis[]): Promise<Run> {
  await prefill(redis, sale);
  const read = (await redis.xreadgroup('GROUP', 'fulfilment', 'bench', 'COUNT', ORDERS, 'STREAMS', sale.orders, '>')) as [string, Entry[]][];
  const orders = ordersOf(read[0]?.[1] ?? []);
  const batches: OrderToDecide[][] = [];
  for (let i = 0; i < orders.length; i += batch) batches.push(orders.slice(i, i + batch));
  return timed(redis, async () => {
    await Promise.all(
      inFlight.map(async (caller) => {
        for (let orders = batches.shift(); orders; orders = batches.shift()) {
          await callGears(caller, decideOrdersFunction, sale, { orders });
        }
      }),
    );
  });
}

/** The original demo: 3 orders per read, then per order XADD completed, XDEL customer, DECR product, each awaited. */
async function viaDemo(redis: Redis, sale: SaleKeys): Promise<Run> {
  await prefill(redis, sale);
  return timed(redis, async () => {
    for (;;) {
      const read = (await redis.xreadgroup('GROUP', 'fulfilment', 'demo', 'COUNT', 3, 'STREAMS', sale.orders, '>')) as
        | [string, Entry[]][]
        | null;
      const entries = read?.[0]?.[1] ?? [];
      if (entries.length === 0) return;
      for (const [, fields] of entries) {
        const order = JSON.parse(fields[3] as string);
        await redis.xadd(sale.completed, '*', 'v', '1', 'data', JSON.stringify({ ...order, completedAt: Date.now() }));
        await redis.xdel(sale.customers, order.customerEntryId);
        await redis.decr(`${sale.tag}:product`);
      }
      await redis.xack(sale.orders, 'fulfilment', ...entries.map(([id]) => id));
    }
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

it(`decides ${ORDERS} orders per run, ${ROUNDS} rounds`, async () => {
  const server = await RedisServerProcess.start();
  const redis = connectServer(server.url);
  const second = connectServer(server.url);
  try {
    await loadGears(redis);
    const sale = saleKeys('bench');
    const ways = [
      ...BATCHES.map((batch) => ({ name: `popup_decide_orders, batch ${batch}`, run: () => viaFunction(redis, sale, batch, [redis]) })),
      ...[100, 1000].map((batch) => ({
        name: `popup_decide_orders, batch ${batch}, 2 in flight`,
        run: () => viaFunction(redis, sale, batch, [redis, second]),
      })),
      { name: 'original demo (3 per read, round trips)', run: () => viaDemo(redis, sale) },
    ];
    const runs = ways.map(() => [] as Run[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { run }] of ways.entries()) runs[i]?.push(await run());
    }
    const rows = ways.map(({ name }, i) => {
      const results = runs[i] ?? [];
      return { name, perSecond: median(results.map((r) => r.perSecond)), cpu: median(results.map((r) => r.cpuMicrosPerDecision)) };
    });
    const demo = rows[rows.length - 1] as (typeof rows)[number];
    const best = rows.slice(0, -1).reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const lines = [
      `redis-server ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1]}, ${ORDERS} orders per run, median of ${ROUNDS}`,
      `${'way'.padEnd(42)} ${'decisions/s'.padStart(12)} ${'Redis CPU µs/decision'.padStart(22)}`,
      ...rows.map((r) => `${r.name.padEnd(42)} ${Math.round(r.perSecond).toString().padStart(12)} ${r.cpu.toFixed(2).padStart(22)}`),
      `best (${best.name}) / demo: ${(best.perSecond / demo.perSecond).toFixed(1)}x decisions/s, ${(demo.cpu / best.cpu).toFixed(1)}x less Redis CPU per decision`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
  } finally {
    redis.disconnect();
    second.disconnect();
    await server.dispose();
  }
});
