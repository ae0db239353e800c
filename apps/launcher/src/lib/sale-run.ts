import { loadGears, redisNow, ROOM_DEFAULTS, SaleGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { assertBuilt, entryPoint, logFile, PROCESSES, RunningServices } from '@popup-store/service-runner';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { playCrowd } from './crowd';
import type { LaunchOptions } from './launch-options';
import { LiveView } from './live-view';
import { drained, finalReport } from './milestones';
import type { SaleOutcome } from './sale-outcome';
import { connectToRedis, describeRedis, openSaleRedis } from './sale-redis';
import { startOver } from './start-over';
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
  await assertBuilt(plan.distDir, [...PROCESSES.map((entry) => entry.name), 'crowd']);
  const logDir = join(plan.dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const saleRedis = await openSaleRedis(plan, join(plan.dataDir, 'redis'));
    stops.push(() => saleRedis.stop());
    terminal.line(
      !saleRedis.private
        ? `Redis: ${describeRedis(saleRedis)} (${saleRedis.clusterNodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL'})`
        : saleRedis.clusterNodes
          ? `Redis: private 3-master cluster (a replica each, in memory) at ${saleRedis.clusterNodes}`
          : `Redis: private redis-server at ${saleRedis.url}, data in ${join(plan.dataDir, 'redis')}`,
    );
    const redis = await connectToRedis(saleRedis);
    stops.push(() => redis.quit());

    const sale = saleKeys(plan.saleId);
    const gears = new SaleGears(redis, sale);
    // On a cluster, on every master; fulfilment-auditing keeps it there (a GearsWatcher) once it runs.
    await loadGears(redis);
    const deleted = await startOver(redis, sale);
    const opensAt = await redisNow(redis);
    await gears.configure({ stock: plan.units, startsAt: opensAt, endsAt: opensAt + plan.durationMs });
    await gears.configureRoom({
      ...ROOM_DEFAULTS,
      on: plan.waitingRoom,
      admitPerSecond: plan.admitPerSecond,
      reset: true,
    });
    terminal.line(
      `Sale ${plan.saleId}: ${deleted} keys of an earlier run deleted; ${plan.units} units, open for ${plan.durationMs / 1000} s` +
        (plan.waitingRoom
          ? `; waiting room on, admitting ${plan.admitPerSecond || 'as many as are decided (derived)'} a second`
          : ''),
    );

    const services = await RunningServices.start({
      distDir: plan.distDir,
      logDir,
      redisUrl: saleRedis.url,
      redisClusterNodes: saleRedis.clusterNodes,
      replicas: plan.replicas,
      saleId: plan.saleId,
      events: {
        restarted: (name, exit, attempt, delayMs) =>
          terminal.line(
            `! ${name} exited (${exit}); restart ${attempt} in ${delayMs} ms, see ${logFile(logDir, name)}`,
          ),
      },
    });
    stops.push(() => {
      terminal.line(`Stopping the services${saleRedis.private ? ' and Redis' : ''}`);
      return services.stop();
    });
    const intakeUrls = services.intakeUrls;
    terminal.line(`Services: ${services.names.join(', ')}; logs in ${logDir}`);
    terminal.line(
      `  customer-intake ${intakeUrls.map((url) => `${url}/api/sale`).join(' ')}, metrics ${services.metricsUrl}/metrics`,
    );
    const { issuer } = services.identity;
    terminal.line(`  identity-dev ${issuer} (sign in: POST ${issuer}/token {"name":"..."})`);

    const live = new LiveView(redis, sale, terminal);
    stops.push(() => live.stop());
    live.show('starting');
    await services.ready(redis, signal);

    live.show('crowd');
    terminal.line(
      `Crowd: ${plan.customers} customers at ${plan.rate}/s (seed ${plan.seed}) against ${intakeUrls.join(', ')}${intakeUrls.length > 1 ? ' in turn' : ''}`,
    );
    const { accepted: tickets, ...crowd } = await playCrowd({
      main: entryPoint(plan.distDir, 'crowd'),
      urls: intakeUrls,
      customers: plan.customers,
      rate: plan.rate,
      seed: plan.seed,
      summaryFile: join(plan.dataDir, 'crowd-summary.json'),
      logFile: logFile(logDir, 'crowd'),
      identity: services.identity,
      waitingRoom: plan.waitingRoom ? { sale: plan.saleId } : undefined,
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
      restarts: services.restarts(),
      elapsedMs: Date.now() - startedAt,
    };
  } finally {
    // Last started, first stopped: the live view, the services (they drain on SIGTERM), the client, then Redis.
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => terminal.line(`! while stopping: ${String(error)}`));
    }
  }
}
