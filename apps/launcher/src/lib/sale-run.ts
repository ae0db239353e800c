import { loadGears, redisNow, ROOM_DEFAULTS, SaleGears, SaleRegistry } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { assertBuilt, entryPoint, logFile, PROCESSES, RunningServices } from '@popup-store/service-runner';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { playCrowd } from './crowd';
import { saleIdsOf, type LaunchOptions } from './launch-options';
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
 * Runs whole sales, `plan.sales` of them at once: Redis, the gears, clean sales in the registry, every service as
 * its own process (serving every sale), a crowd per sale over HTTP, the drains, the closes and the auditor's
 * report of each, then the client's own check of each sale's tickets. One outcome per sale, in the order of
 * {@link saleIdsOf}. Whatever happens, it stops what it started.
 */
export async function runSales(plan: SalePlan, { terminal, signal }: SaleIo): Promise<SaleOutcome[]> {
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

    // On a cluster, on every master; fulfilment-auditing keeps it there (a GearsWatcher) once it runs.
    await loadGears(redis);
    const sales = saleIdsOf(plan).map((saleId) => saleKeys(saleId));
    const registry = new SaleRegistry(redis);
    for (const sale of sales) {
      const gears = new SaleGears(redis, sale);
      const deleted = await startOver(redis, sale);
      const opensAt = await redisNow(redis);
      await gears.configure({ stock: plan.units, startsAt: opensAt, endsAt: opensAt + plan.durationMs });
      await gears.configureRoom({
        ...ROOM_DEFAULTS,
        on: plan.waitingRoom === true,
        auto: plan.waitingRoom === 'auto',
        admitPerSecond: plan.admitPerSecond,
        reset: true,
      });
      // The services serve the registered sales besides SALE_ID's.
      await registry.register(sale.saleId);
      terminal.line(
        `Sale ${sale.saleId}: ${deleted} keys of an earlier run deleted; ${plan.units} units, open for ${plan.durationMs / 1000} s` +
          (plan.waitingRoom
            ? `; waiting room ${plan.waitingRoom === 'auto' ? 'on once arrivals pass its rate' : 'on'}, admitting ${plan.admitPerSecond || 'as many as are decided (derived)'} a second`
            : ''),
      );
    }

    const services = await RunningServices.start({
      distDir: plan.distDir,
      logDir,
      redisUrl: saleRedis.url,
      redisClusterNodes: saleRedis.clusterNodes,
      replicas: plan.replicas,
      saleId: sales[0].saleId,
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
      `  customer-intake ${intakeUrls.map((url) => `${url}/api/sales/${sales[0].saleId}`).join(' ')}, metrics ${services.metricsUrl}/metrics`,
    );
    const { issuer } = services.identity;
    terminal.line(`  identity-dev ${issuer} (sign in: POST ${issuer}/token {"name":"..."})`);

    const live = new LiveView(redis, sales, terminal);
    stops.push(() => live.stop());
    live.show('starting');
    await services.ready(redis, signal);

    live.show('crowd');
    terminal.line(
      `Crowd${sales.length > 1 ? `s: one a sale, each` : ':'} ${plan.customers} customers at ${plan.rate}/s (seed ${plan.seed}${sales.length > 1 ? ' on' : ''}) against ${intakeUrls.join(', ')}${intakeUrls.length > 1 ? ' in turn' : ''}`,
    );
    const crowds = await Promise.all(
      sales.map((sale, index) => {
        const name = sales.length > 1 ? `crowd-${sale.saleId}` : 'crowd';
        return playCrowd({
          main: entryPoint(plan.distDir, 'crowd'),
          urls: intakeUrls,
          sale: sale.saleId,
          customers: plan.customers,
          rate: plan.rate,
          // Each sale's crowd its own schedule; the same customer names, who may each buy once in every sale.
          seed: plan.seed + index,
          connections: plan.connections,
          summaryFile: join(plan.dataDir, `${name}-summary.json`),
          logFile: logFile(logDir, name),
          identity: services.identity,
          // With auto, the crowd orders at once; a 403 not_admitted sends a shopper to the line.
          waitingRoom: plan.waitingRoom === true,
          signal,
        });
      }),
    );
    for (const [index, crowd] of crowds.entries())
      terminal.line(
        `Crowd${sales.length > 1 ? ` of ${sales[index].saleId}` : ''} done: ${crowd.acceptedCount} tickets, ${crowd.answered} answers in ${crowd.durationMs} ms`,
      );

    live.show('draining');
    for (const sale of sales) await drained(redis, sale, signal, logDir);
    live.show('closing');
    for (const sale of sales) await new SaleGears(redis, sale).setState('closed');
    const decided: Omit<SaleOutcome, 'restarts' | 'elapsedMs'>[] = [];
    for (const [index, sale] of sales.entries()) {
      const report = await finalReport(redis, sale, signal, logDir);
      const { accepted: tickets, ...crowd } = crowds[index];
      const undecided = await undecidedTickets(redis, sale, tickets);
      if (undecided.length)
        terminal.line(
          `! ${sale.saleId}: ${undecided.length} tickets without a decision, e.g. ${undecided.slice(0, 5).join(', ')}`,
        );
      decided.push({ report, lostTickets: undecided.length, crowd, tickets });
    }
    await live.stop();
    const restarts = services.restarts();
    const elapsedMs = Date.now() - startedAt;
    return decided.map((outcome) => ({ ...outcome, restarts, elapsedMs }));
  } finally {
    // Last started, first stopped: the live view, the services (they drain on SIGTERM), the client, then Redis.
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => terminal.line(`! while stopping: ${String(error)}`));
    }
  }
}
