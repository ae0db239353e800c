import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processCpuSeconds } from './cpu';
import { decisionTimings, latency } from './decisions';
import type { Figures } from './figures';
import { InvariantError } from './sale-check';
import { closeAndCheck, decided, withServices, type PipelineContext } from './sale-run';
import type { ServiceSet } from './services';

export interface HttpPlan {
  readonly customers: number;
  readonly stock: number;
  /** Offered requests per second (the crowd's mean arrival rate). */
  readonly rate: number;
  readonly seed: number;
}

/** The part of the crowd's `--summary` the bench reads. */
interface CrowdSummary {
  readonly answered: number;
  readonly networkErrors: number;
  readonly statuses: Record<string, number>;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  readonly durationMs: number;
  readonly answersPerSecond: number;
  readonly accepted: readonly string[];
}

/**
 * Scenario 3, the whole pipeline through customer-intake's HTTP API: the crowd app (its own process, an open
 * model over 64 connections, latency counted from each request's planned time) plays `customers` distinct
 * customers at `rate`. Figures: answers/s, 202s, refusals for load, HTTP latency, decision latency of the
 * accepted orders, and CPU µs per request of customer-intake and of the crowd.
 */
export async function httpCrowd(context: PipelineContext, sale: SaleKeys, plan: HttpPlan): Promise<Figures> {
  const { redis } = context;
  return withServices(context, sale, plan.stock, async (services) => {
    const intakeBefore = services.cpuSeconds()['customer-intake'];
    const { summary, crowdCpuSeconds } = await playCrowd(context, services, plan);
    const intakeCpu = services.cpuSeconds()['customer-intake'] - intakeBefore;
    const tickets = summary.accepted.length;
    await decided(redis, sale, tickets, services);
    const undecided = await ticketsWithoutDecision(redis, sale, summary.accepted);
    if (undecided)
      throw new InvariantError('scenario 3 (HTTP)', [`${undecided} of ${tickets} tickets (202) have no decision`]);
    await closeAndCheck(redis, sale, tickets, 'scenario 3 (HTTP)', services);
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
      'cpuMicrosPerRequest:crowd': (crowdCpuSeconds * 1e6) / summary.answered,
    };
  });
}

/** Runs the built crowd app against customer-intake and reads its summary, with the CPU it used. */
async function playCrowd(
  context: PipelineContext,
  services: ServiceSet,
  plan: HttpPlan,
): Promise<{ summary: CrowdSummary; crowdCpuSeconds: number }> {
  const summaryFile = join(services.logDir, `crowd-${plan.seed}.json`);
  const args = [
    join(context.distDir, 'apps', 'crowd', 'main.js'),
    ...['--url', services.intakeUrl, '--customers', String(plan.customers), '--rate', String(plan.rate)],
    ...['--repeat-share', '0', '--seed', String(plan.seed), '--summary', summaryFile, '--quiet'],
  ];
  const crowd = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  let cpu = 0;
  crowd.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-2000)));
  // /proc/<pid> goes with the process: sample its CPU while it runs, the last sample is within 100 ms of its end.
  const sampler = setInterval(() => {
    try {
      if (crowd.pid !== undefined) cpu = processCpuSeconds(crowd.pid);
    } catch {
      // it has just exited: the sample before stands
    }
  }, 100);
  const [code, signal] = (await once(crowd, 'close')) as [number | null, NodeJS.Signals | null];
  clearInterval(sampler);
  if (code !== 0) throw new Error(`the crowd failed (${signal ?? `code ${code}`}): ${errors.trim() || 'no output'}`);
  return { summary: JSON.parse(await readFile(summaryFile, 'utf8')) as CrowdSummary, crowdCpuSeconds: cpu };
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
