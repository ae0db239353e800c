import { saleReportContract, type SaleReport } from '@popup-store/contracts';
import { SaleGears } from '@popup-store/gears-client';
import type { Redis } from 'ioredis';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSale } from './orders';
import { checkSale, InvariantError, type SaleCheck } from './sale-check';
import { SERVICES, type SaleKeys } from '@popup-store/keys';
import { RunningServices } from '@popup-store/service-runner';

/** What a whole-pipeline run needs: the bench's Redis and where the built services and the logs are. */
export interface PipelineContext {
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly distDir: string;
  /** A folder of this bench run: each sale's service logs go below it. */
  readonly workDir: string;
  /** The bench's own built entry point, for its helper processes. */
  readonly benchMain: string;
  readonly nodeFlags?: readonly string[];
}

/** Request and batch logs off and no tracing: the bench measures the sale's work, not log or span export. */
const BENCH_ENV = { LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true' };
/** Decisions may take long after a big crowd: waiting fails only once they stop coming for this long. */
const DRAIN_STALL_MS = 30_000;
const REPORT_TIMEOUT_MS = 60_000;
let saleCount = 0;

/**
 * One sale on a clean Redis with the stream services as `npm start` runs them (no identity provider: customer-intake
 * trusts the run's key, which the load signs with): opens it with `stock` units, starts the services once it is
 * open, runs `body`, then stops them whatever happened.
 */
export async function withServices<T>(
  context: PipelineContext,
  sale: SaleKeys,
  stock: number,
  body: (services: RunningServices) => Promise<T>,
  /** Fewer services than the whole pipeline, and settings of their own. */
  options: { only?: readonly string[]; envOf?: Readonly<Record<string, NodeJS.ProcessEnv>> } = {},
): Promise<T> {
  await context.redis.flushall();
  await openSale(context.redis, sale, stock);
  const logDir = join(context.workDir, `sale-${++saleCount}`);
  const services = await RunningServices.start({
    distDir: context.distDir,
    redisUrl: context.redisUrl,
    saleId: sale.saleId,
    only: options.only ?? SERVICES,
    logDir,
    nodeFlags: context.nodeFlags,
    env: BENCH_ENV,
    envOf: options.envOf,
  });
  try {
    await services.ready(context.redis);
    return await body(services);
  } finally {
    await services.stop();
  }
}

/** Waits until `orders` orders have a decision; fails when decisions stop coming or a service dies. */
export async function decided(redis: Redis, sale: SaleKeys, orders: number, services: RunningServices): Promise<void> {
  let seen = -1;
  let movedAt = Date.now();
  for (;;) {
    services.assertRunning();
    const count = await redis.hlen(sale.decisions);
    if (count >= orders) return;
    if (count > seen) {
      seen = count;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > DRAIN_STALL_MS) {
      throw new Error(
        `${count} of ${orders} orders decided, none more for ${DRAIN_STALL_MS / 1000} s (see ${services.logDir})`,
      );
    }
    await sleep(20);
  }
}

/**
 * Closes the sale, takes fulfilment-auditing's final report, and checks both Redis and the report: the bench's own
 * count and the auditor's must agree that the sale ended right. Throws an {@link InvariantError} otherwise.
 */
export async function closeAndCheck(
  redis: Redis,
  sale: SaleKeys,
  orders: number,
  scenario: string,
  services: RunningServices,
): Promise<{ check: SaleCheck; report: SaleReport }> {
  await new SaleGears(redis, sale).setState('closed');
  const deadline = Date.now() + REPORT_TIMEOUT_MS;
  let text: string | null;
  while ((text = await redis.get(sale.report)) === null) {
    services.assertRunning();
    if (Date.now() > deadline)
      throw new Error(`${scenario}: no sale report after ${REPORT_TIMEOUT_MS / 1000} s (see ${services.logDir})`);
    await sleep(100);
  }
  const report = saleReportContract.schema.parse(JSON.parse(text));
  const check = await checkSale(redis, sale, orders);
  const failures = [...check.failures];
  if (!report.ok) failures.push(`the auditor found: ${report.violations.join('; ') || 'violations it did not name'}`);
  for (const name of ['oversold', 'lost', 'duplicates'] as const) {
    if (report[name] !== 0) failures.push(`the auditor's report has ${name} = ${report[name]}`);
  }
  if (report.sold !== check.completed)
    failures.push(`the auditor counts ${report.sold} sold, Redis holds ${check.completed} completions`);
  if (failures.length) throw new InvariantError(scenario, failures);
  return { check, report };
}
