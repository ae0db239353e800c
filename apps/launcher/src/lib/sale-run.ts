import { loadGears, SaleGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { freePort } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { playCrowd } from './crowd';
import type { LaunchOptions } from './launch-options';
import { LiveView } from './live-view';
import { consumersListening, drained, finalReport, identityReady, intakeReady } from './milestones';
import type { SaleOutcome } from './sale-outcome';
import { connectToRedis, openSaleRedis, withoutCredentials } from './sale-redis';
import { saleIdentity } from './sale-identity';
import { assertBuilt, entryPoint, identityProviderSpec, logFile, serviceSpecs } from './services';
import { startOver } from './start-over';
import { Supervisor } from './supervisor';
import type { Terminal } from './terminal';
import { undecidedTickets } from './ticket-check';

export interface SalePlan extends LaunchOptions {
  /** The workspace's `dist` folder, with every app built. */
  readonly distDir: string;
  /** Where the private Redis keeps its data, and every process its log. */
  readonly dataDir: string;
}

export interface SaleIo {
  readonly terminal: Terminal;
  /** Aborting stops the sale: what was started is stopped, and runSale rejects. */
  readonly signal: AbortSignal;
}

/**
 * Runs one whole sale: Redis, the gears, a clean sale, every service as its own process, the crowd over HTTP,
 * the drain, the close and the auditor's report, then the client's own check of its tickets. Whatever happens,
 * it stops what it started.
 */
export async function runSale(plan: SalePlan, { terminal, signal }: SaleIo): Promise<SaleOutcome> {
  const startedAt = Date.now();
  await assertBuilt(plan.distDir);
  const logDir = join(plan.dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const saleRedis = await openSaleRedis(plan.redisUrl, join(plan.dataDir, 'redis'));
    stops.push(() => saleRedis.stop());
    terminal.line(
      saleRedis.private
        ? `Redis: private redis-server at ${saleRedis.url}, data in ${join(plan.dataDir, 'redis')}`
        : `Redis: ${withoutCredentials(saleRedis.url)} (REDIS_URL)`,
    );
    const redis = await connectToRedis(saleRedis.url);
    stops.push(() => redis.quit());

    const sale = saleKeys(plan.saleId);
    const gears = new SaleGears(redis, sale);
    await loadGears(redis);
    const deleted = await startOver(redis, sale);
    const opensAt = await redisNow(redis);
    await gears.configure({ stock: plan.units, startsAt: opensAt, endsAt: opensAt + plan.durationMs });
    terminal.line(
      `Sale ${plan.saleId}: ${deleted} keys of an earlier run deleted; ${plan.units} units, open for ${plan.durationMs / 1000} s`,
    );

    const intakePort = await freePort();
    const metricsPort = await freePort();
    const identity = await saleIdentity(await freePort());
    const restarted = (name: string, exit: string, attempt: number, delayMs: number) =>
      terminal.line(`! ${name} exited (${exit}); restart ${attempt} in ${delayMs} ms, see ${logFile(logDir, name)}`);
    // identity-dev under a supervisor of its own: the report's restarts are the store's services'.
    const identityProvider = new Supervisor({ restarted });
    const supervisor = new Supervisor({ restarted });
    stops.push(() => identityProvider.stopAll());
    stops.push(() => {
      terminal.line(`Stopping the services${saleRedis.private ? ' and Redis' : ''}`);
      return supervisor.stopAll();
    });
    const identitySpec = identityProviderSpec(plan.distDir, logDir, identity);
    await writeFile(identitySpec.logFile, '');
    identityProvider.start(identitySpec);
    const specs = serviceSpecs({
      distDir: plan.distDir,
      logDir,
      redisUrl: saleRedis.url,
      saleId: plan.saleId,
      intakePort,
      metricsPort,
      identity,
    });
    for (const spec of specs) {
      await writeFile(spec.logFile, '');
      supervisor.start(spec);
    }
    const intakeUrl = `http://127.0.0.1:${intakePort}`;
    terminal.line(`Services: ${specs.map((spec) => spec.name).join(', ')}; logs in ${logDir}`);
    terminal.line(`  customer-intake ${intakeUrl}/api/sale, metrics http://127.0.0.1:${metricsPort}/metrics`);
    terminal.line(`  identity-dev ${identity.issuer} (sign in: POST ${identity.issuer}/token {"name":"..."})`);

    const live = new LiveView(redis, sale, terminal);
    stops.push(() => live.stop());
    live.show('starting');
    await identityReady(identity.issuer, signal, logDir);
    await intakeReady(intakeUrl, signal, logDir);
    await consumersListening(redis, sale, signal, logDir);

    live.show('crowd');
    terminal.line(`Crowd: ${plan.customers} customers at ${plan.rate}/s (seed ${plan.seed}) against ${intakeUrl}`);
    const { accepted: tickets, ...crowd } = await playCrowd({
      main: entryPoint(plan.distDir, 'crowd'),
      url: intakeUrl,
      customers: plan.customers,
      rate: plan.rate,
      seed: plan.seed,
      summaryFile: join(plan.dataDir, 'crowd-summary.json'),
      logFile: logFile(logDir, 'crowd'),
      identity,
      signal,
    });
    terminal.line(`Crowd done: ${crowd.acceptedCount} tickets, ${crowd.answered} answers in ${crowd.durationMs} ms`);

    live.show('draining');
    await drained(redis, sale, signal, logDir);
    live.show('closing');
    await gears.setState('closed');
    const report = await finalReport(redis, sale, signal, logDir);
    await live.stop();

    const undecided = await undecidedTickets(redis, sale, tickets);
    if (undecided.length)
      terminal.line(`! ${undecided.length} tickets without a decision, e.g. ${undecided.slice(0, 5).join(', ')}`);
    return {
      report,
      lostTickets: undecided.length,
      crowd,
      tickets,
      restarts: supervisor.restarts(),
      elapsedMs: Date.now() - startedAt,
    };
  } finally {
    // Last started, first stopped: the live view, the services (they drain on SIGTERM), the client, then Redis.
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => terminal.line(`! while stopping: ${String(error)}`));
    }
  }
}

/** Redis's clock, the one the gears judge the window by. */
async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
