import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processCpuSeconds, processRssMegabytes, servicesCpuSeconds } from './cpu';
import { decisionTimings, latency } from './decisions';
import type { Figures } from './figures';
import type { HttpLoadSummary } from './http-load';
import { InvariantError } from './sale-check';
import { entriesAdded } from './streams';
import { closeAndCheck, decided, withServices, type PipelineContext } from './sale-run';
import type { RunningServices } from '@popup-store/service-runner';

export interface HttpPlan {
  readonly customers: number;
  readonly stock: number;
  /** Offered requests per second. */
  readonly rate: number;
  readonly seed: number;
}

/**
 * Scenario 3, the whole pipeline through customer-intake's HTTP API: the bench's load generator (its own process,
 * an open model over 64 connections, see {@link httpLoad}) sends `customers` distinct customers at `rate`.
 * Figures: answers/s, 202s, refusals for load, HTTP latency, decision latency of the accepted orders, and CPU µs
 * per request of customer-intake and of the load generator, and how much customer-intake's RSS grew.
 */
export async function httpCrowd(context: PipelineContext, sale: SaleKeys, plan: HttpPlan): Promise<Figures> {
  const { redis } = context;
  return withServices(context, sale, plan.stock, async (services) => {
    const intakeBefore = servicesCpuSeconds(services)['customer-intake'];
    const rssBefore = processRssMegabytes(services.pid('customer-intake'));
    const { summary, loadCpuSeconds } = await playLoad(context, services, plan);
    const intakeCpu = servicesCpuSeconds(services)['customer-intake'] - intakeBefore;
    const rssGrowth = processRssMegabytes(services.pid('customer-intake')) - rssBefore;
    const tickets = summary.accepted.length;
    // An order taken whose answer was lost on the way back (a network error on a machine this busy) is written,
    // but its client holds no ticket: the orders written are the tickets, plus at most one per network error.
    const written = await entriesAdded(redis, sale.customers);
    if (written < tickets || written > tickets + summary.networkErrors) {
      throw new InvariantError('scenario 3 (HTTP)', [
        `${written} orders written for ${tickets} tickets and ${summary.networkErrors} network errors (answers: ${JSON.stringify(summary.statuses)})`,
      ]);
    }
    await decided(redis, sale, written, services);
    const undecided = await ticketsWithoutDecision(redis, sale, summary.accepted);
    if (undecided)
      throw new InvariantError('scenario 3 (HTTP)', [`${undecided} of ${tickets} tickets (202) have no decision`]);
    await closeAndCheck(redis, sale, written, 'scenario 3 (HTTP)', services);
    const { p50, p99 } = latency(await decisionTimings(redis, sale));
    const status = (code: string) => summary.statuses[code] ?? 0;
    return {
      answersPerSecond: summary.answersPerSecond,
      accepted: tickets,
      refusedForLoad: status('429') + status('503') + summary.networkErrors,
      httpP50: summary.latencyMs.p50,
      httpP99: summary.latencyMs.p99,
      decisionP50: p50,
      decisionP99: p99,
      'cpuMicrosPerRequest:customer-intake': (intakeCpu * 1e6) / summary.answered,
      'cpuMicrosPerRequest:load': (loadCpuSeconds * 1e6) / summary.answered,
      // Every customer is a fresh id with a fresh token: what intake keeps of them is bounded (docs/reliability.md).
      'rssGrowthMegabytes:customer-intake': rssGrowth,
    };
  });
}

/** Runs `main.js http-load` against customer-intake and reads its summary, with the CPU it used. */
async function playLoad(
  context: PipelineContext,
  services: RunningServices,
  plan: HttpPlan,
): Promise<{ summary: HttpLoadSummary; loadCpuSeconds: number }> {
  const args = [
    context.benchMain,
    'http-load',
    services.intakeUrl,
    String(plan.customers),
    String(plan.rate),
    String(plan.seed),
  ];
  const { identity } = services;
  const load = spawn(process.execPath, args, {
    // The signing key through the environment, not the command line.
    env: {
      ...process.env,
      IDENTITY_SIGNING_KEY: identity.signingKey,
      IDENTITY_ISSUER: identity.issuer,
      IDENTITY_AUDIENCE: identity.audience,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  let cpu = 0;
  load.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  load.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-2000)));
  // /proc/<pid> goes with the process: sample its CPU while it runs, the last sample is within 100 ms of its end.
  const sampler = setInterval(() => {
    try {
      if (load.pid !== undefined) cpu = processCpuSeconds(load.pid);
    } catch {
      // it has just exited: the sample before stands
    }
  }, 100);
  const [code, signal] = (await once(load, 'close')) as [number | null, NodeJS.Signals | null];
  clearInterval(sampler);
  if (code !== 0)
    throw new Error(`the HTTP load failed (${signal ?? `code ${code}`}): ${errors.trim() || 'no output'}`);
  const summary = JSON.parse(output) as HttpLoadSummary;
  return { summary, loadCpuSeconds: cpu - summary.signInCpuSeconds };
}

/** How many tickets Redis holds no decision for (HMGET on the decisions hash, 1000 at a time). */
async function ticketsWithoutDecision(redis: Redis, sale: SaleKeys, tickets: readonly string[]): Promise<number> {
  let missing = 0;
  for (let from = 0; from < tickets.length; from += 1000) {
    const decisions = await redis.hmget(sale.decisions, ...tickets.slice(from, from + 1000));
    missing += decisions.filter((decision) => decision === null).length;
  }
  return missing;
}
