import type { SaleKeys } from '@popup-store/keys';
import type { RedisServerProcess } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { pacedBaseline } from './baselines/paced-baselines';
import { bullmqThroughput, demoThroughput, redisBenchmarkXadd } from './baselines/throughput';
import { engineRun } from './engine';
import { CLUSTER_MASTERS, manySalesOnCluster, manySalesOnOneRedis } from './many-sales';
import type { Figures } from './figures';
import { httpCrowd } from './http';
import { intakeBesideBareFastify } from './http-alone';
import { withAppendfsync } from './durability';
import { CPU_FIGURES, pacedPipeline, streamFlood } from './pipeline';
import { tokenCosts } from './token-costs';
import type { PipelineContext } from './sale-run';
import type { Sizes } from './sizes';

export const SCENARIOS = ['1', '2', '3', '4', '5', 'sales', 'tokens', 'demo', 'bullmq', 'ceiling'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

/** A line of the table: one figure of one case. */
export interface RowSpec {
  readonly figure: string;
  readonly label: string;
  readonly digits: number;
}

/** One way of doing one scenario, measured once per round. */
export interface BenchCase {
  readonly id: string;
  readonly scenario: string;
  readonly title: string;
  readonly rows: readonly RowSpec[];
  run(round: number): Promise<Figures>;
}

export interface BenchSetup {
  readonly server: RedisServerProcess;
  readonly redis: Redis;
  /** A second connection, for two FCALLs in flight. */
  readonly second: Redis;
  readonly sale: SaleKeys;
  readonly pipeline: PipelineContext;
}

const perSecond = (label: string): RowSpec => ({ figure: 'decisionsPerSecond', label, digits: 0 });
const redisCpu = (per: string): RowSpec => ({
  figure: 'redisCpuMicrosPerDecision',
  label: `Redis CPU µs per ${per}`,
  digits: 1,
});
const ms = (figure: string, label: string): RowSpec => ({ figure, label: `${label} ms`, digits: 0 });
const pacedRows = (rates: readonly number[]): RowSpec[] =>
  rates.flatMap((rate) => [
    ms(`p50@${rate}`, `p50 at ${rate.toLocaleString('en-US')}/s`),
    ms(`p99@${rate}`, `p99 at ${rate.toLocaleString('en-US')}/s`),
  ]);
const httpRows: RowSpec[] = [
  { figure: 'answersPerSecond', label: 'HTTP answers/s', digits: 0 },
  { figure: 'accepted', label: 'orders accepted (202)', digits: 0 },
  { figure: 'refusedForLoad', label: 'refused for load (429/503/network)', digits: 0 },
  ms('httpP50', 'HTTP p50'),
  ms('httpP99', 'HTTP p99'),
  ms('decisionP50', 'submission → decision p50'),
  ms('decisionP99', 'submission → decision p99'),
  { figure: 'cpuMicrosPerRequest:customer-intake', label: 'customer-intake CPU µs per request', digits: 0 },
  { figure: 'cpuMicrosPerRequest:load', label: 'load generator CPU µs per request', digits: 0 },
  { figure: 'rssGrowthMegabytes:customer-intake', label: 'customer-intake RSS growth MB', digits: 0 },
];

/** The cases of the chosen scenarios, in the order each round runs them. */
export function benchCases(setup: BenchSetup, sizes: Sizes, chosen: ReadonlySet<ScenarioId>): BenchCase[] {
  const { redis, second, sale, pipeline } = setup;
  const cases: BenchCase[] = [];
  if (chosen.has('1')) {
    const engine = (batch: number, callers: Redis[]): BenchCase => ({
      id: `engine-b${batch}${callers.length > 1 ? `x${callers.length}` : ''}`,
      scenario: '1',
      title: `popup_decide_orders, batch ${batch}${callers.length > 1 ? `, ${callers.length} in flight` : ''}`,
      rows: [perSecond('decisions/s'), redisCpu('decision')],
      run: () => engineRun(redis, callers, sale, { orders: sizes.engineOrders, batch }),
    });
    cases.push(...sizes.batches.map((batch) => engine(batch, [redis])));
    cases.push(...sizes.inFlightBatches.map((batch) => engine(batch, [redis, second])));
  }
  const baselinePlan = { orders: sizes.baselineOrders, units: sizes.baselineUnits };
  const stockRow: RowSpec = {
    figure: 'stockLeft',
    label: `stock at the end (started at ${sizes.baselineUnits})`,
    digits: 0,
  };
  if (chosen.has('demo')) {
    cases.push({
      id: 'demo',
      scenario: 'baseline',
      title: 'original demo (3 per read, 3 round trips per order)',
      rows: [perSecond('decisions/s'), redisCpu('decision'), stockRow],
      run: () => demoThroughput(redis, sale, baselinePlan),
    });
  }
  if (chosen.has('bullmq')) {
    cases.push({
      id: 'bullmq',
      scenario: 'baseline',
      title: 'BullMQ, worker concurrency 50',
      rows: [perSecond('jobs/s'), redisCpu('job'), stockRow],
      run: () => bullmqThroughput(setup.server.url, redis, sale, baselinePlan),
    });
  }
  if (chosen.has('ceiling')) {
    cases.push({
      id: 'ceiling',
      scenario: 'ceiling',
      title: 'redis-benchmark -P 100 XADD',
      rows: [{ figure: 'xaddPerSecond', label: 'XADD/s', digits: 0 }],
      run: async () => {
        await redis.flushall();
        return redisBenchmarkXadd(setup.server.port, sizes.ceilingRequests);
      },
    });
  }
  if (chosen.has('2')) {
    cases.push({
      id: 'stream',
      scenario: '2',
      title: `pipeline, stream mode, ${sizes.streamCustomers.toLocaleString('en-US')} customers for ${sizes.streamStock.toLocaleString('en-US')} units`,
      rows: [
        perSecond('decisions/s end to end'),
        ms('timeToSellOutMs', 'time to sell out'),
        ms('p50', 'submission → decision p50'),
        ms('p95', 'submission → decision p95'),
        ms('p99', 'submission → decision p99'),
        ms('max', 'submission → decision max'),
        ...CPU_FIGURES.map((figure) => ({ figure, label: `${figure.split(':')[1]} CPU µs per order`, digits: 1 })),
      ],
      run: () => streamFlood(pipeline, sale, { customers: sizes.streamCustomers, stock: sizes.streamStock }),
    });
  }
  if (chosen.has('3')) {
    const http = (id: string, customers: number, stock: number, rate: number): BenchCase => ({
      id,
      scenario: '3',
      title: `pipeline, HTTP, ${customers.toLocaleString('en-US')} customers offered at ${rate.toLocaleString('en-US')}/s`,
      rows: httpRows,
      run: (round) => httpCrowd(pipeline, sale, { customers, stock, rate, seed: round }),
    });
    cases.push(http('http', sizes.httpCustomers, sizes.httpStock, sizes.httpRate));
    cases.push(http('http-paced', sizes.httpPacedCustomers, sizes.httpPacedStock, sizes.httpPacedRate));
    cases.push({
      id: 'http-alone',
      scenario: '3',
      title: 'accepted path by wrk (256 connections, 5 s): customer-intake alone beside a bare Fastify',
      rows: [
        { figure: 'requestsPerSecond:intake', label: 'customer-intake 202/s', digits: 0 },
        { figure: 'requestsPerSecond:bare', label: 'bare Fastify 202/s', digits: 0 },
        { figure: 'intakeShareOfBare', label: 'customer-intake ÷ bare Fastify %', digits: 0 },
        { figure: 'non2xx:intake', label: 'customer-intake answers not 202, and socket errors', digits: 0 },
        ms('httpP99:intake', 'customer-intake p99'),
        ms('httpP99:bare', 'bare Fastify p99'),
        { figure: 'cpuMicrosPerRequest:customer-intake', label: 'customer-intake CPU µs per 202', digits: 0 },
        { figure: 'cpuMicrosPerRequest:bare', label: 'bare Fastify CPU µs per 202', digits: 0 },
      ],
      run: () => intakeBesideBareFastify(pipeline, sale, sizes.httpAloneCustomers),
    });
  }
  if (chosen.has('5')) {
    // The accepted path under each fsync policy: units for nine customers in ten, so nearly every answer is a 202
    // and the sale still sells out (the bench's check of every run wants exactly the stock sold).
    const customers = sizes.fsyncCustomers;
    const stock = Math.floor(customers * 0.9);
    for (const policy of ['everysec', 'always'] as const) {
      cases.push({
        id: `fsync-${policy}-http`,
        scenario: '5',
        title: `appendfsync ${policy}, HTTP, ${customers.toLocaleString('en-US')} customers at ${sizes.fsyncRate.toLocaleString('en-US')}/s for ${stock.toLocaleString('en-US')} units`,
        rows: [
          { figure: 'answersPerSecond', label: 'HTTP answers/s', digits: 0 },
          { figure: 'accepted', label: 'orders accepted (202)', digits: 0 },
          ms('httpP50', 'HTTP p50'),
          ms('httpP99', 'HTTP p99'),
          ms('decisionP50', 'submission → decision p50'),
          ms('decisionP99', 'submission → decision p99'),
          { figure: 'cpuMicrosPerRequest:customer-intake', label: 'customer-intake CPU µs per request', digits: 0 },
        ],
        run: (round) =>
          withAppendfsync(redis, policy, () =>
            httpCrowd(pipeline, sale, { customers, stock, rate: sizes.fsyncRate, seed: round }),
          ),
      });
      cases.push({
        id: `fsync-${policy}-stream`,
        scenario: '5',
        title: `appendfsync ${policy}, stream mode, ${customers.toLocaleString('en-US')} customers for ${stock.toLocaleString('en-US')} units`,
        rows: [
          perSecond('decisions/s end to end'),
          ms('p50', 'submission → decision p50'),
          ms('p99', 'submission → decision p99'),
          { figure: 'cpuMicrosPerOrder:redis', label: 'Redis CPU µs per order', digits: 1 },
        ],
        run: () => withAppendfsync(redis, policy, () => streamFlood(pipeline, sale, { customers, stock })),
      });
    }
  }
  if (chosen.has('sales')) {
    const plan = { sales: sizes.manySales, ordersPerSale: sizes.manySalesOrders, batch: 100 };
    const masterRows = Array.from({ length: CLUSTER_MASTERS }, (_, i) => ({
      figure: `redisCpuMicrosPerDecision:rank-${i + 1}`,
      label: `${['busiest', 'second', 'third', 'fourth'][i] ?? `${i + 1}th`} master's CPU µs per decision`,
      digits: 1,
    }));
    const what = `${plan.sales} sales of ${plan.ordersPerSale.toLocaleString('en-US')} orders decided at once, batch ${plan.batch}`;
    cases.push({
      id: 'sales-one',
      scenario: 'sales',
      title: `${what}, on one Redis`,
      rows: [perSecond('decisions/s, all sales'), redisCpu('decision')],
      run: () => manySalesOnOneRedis(redis, plan),
    });
    cases.push({
      id: 'sales-cluster',
      scenario: 'sales',
      title: `${what}, on a ${CLUSTER_MASTERS}-master Redis Cluster (sales spread evenly)`,
      rows: [
        perSecond('decisions/s, all sales'),
        { ...redisCpu('decision'), label: 'Redis CPU µs per decision, all masters' },
        ...masterRows,
      ],
      run: () => manySalesOnCluster(plan),
    });
    const single = { sales: 1, ordersPerSale: plan.sales * plan.ordersPerSale, batch: plan.batch };
    cases.push({
      id: 'sales-cluster-one',
      scenario: 'sales',
      title: `the same ${single.ordersPerSale.toLocaleString('en-US')} orders as one sale, on the ${CLUSTER_MASTERS}-master cluster`,
      rows: [
        perSecond('decisions/s'),
        { ...redisCpu('decision'), label: 'Redis CPU µs per decision, all masters' },
        ...masterRows,
      ],
      run: () => manySalesOnCluster(single),
    });
  }
  if (chosen.has('tokens')) {
    cases.push({
      id: 'tokens',
      scenario: 'tokens',
      title: `customer tokens (ES256, jose), ${sizes.tokenCount.toLocaleString('en-US')} distinct`,
      rows: [
        { figure: 'verifyMicros', label: 'µs per verification', digits: 1 },
        { figure: 'cacheHitMicros', label: 'µs per verified token seen again (cache)', digits: 2 },
        { figure: 'hmacMicros', label: 'µs per HMAC-SHA256 (a ticket seal), baseline', digits: 2 },
      ],
      run: () => tokenCosts(sizes.tokenCount),
    });
  }
  if (chosen.has('4')) {
    const plan = { rates: sizes.pacedRates, seconds: sizes.pacedSeconds };
    cases.push({
      id: 'paced',
      scenario: '4',
      title: 'pipeline, stream mode, paced',
      rows: pacedRows(sizes.pacedRates),
      run: () => pacedPipeline(pipeline, sale, plan),
    });
    const baselinePaced = { ...plan, benchMain: pipeline.benchMain, redisUrl: setup.server.url };
    for (const kind of ['demo', 'bullmq'] as const) {
      if (!chosen.has(kind)) continue;
      cases.push({
        id: `paced-${kind}`,
        scenario: '4',
        title: `${kind === 'demo' ? 'original demo' : 'BullMQ'}, paced (orders straight to its queue)`,
        rows: pacedRows(sizes.pacedRates),
        run: () => pacedBaseline(redis, sale, kind, baselinePaced),
      });
    }
  }
  return cases;
}
