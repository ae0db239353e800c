import type { SaleKeys } from '@popup-store/keys';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processCpuSeconds } from './cpu';
import type { Figures } from './figures';
import { InvariantError } from './sale-check';
import { withServices, type PipelineContext } from './sale-run';
import { entriesAdded } from './streams';
import { assertWrk, wrkOrders, type WrkSummary } from './wrk';

/**
 * Scenario 3's accepted path, customer-intake alone (Redis, no other service) beside a bare Fastify, both measured
 * by wrk in the same round: `customers` signed-in customers order over and over, each request from an address of
 * its own, and since nothing decides an order here every one is a 202 (the token from intake's cache, the limits, the
 * buyer check and the XADD); Fastify answers the same route with a 202 and nothing behind it. wrk costs far less per
 * request than either, so the ratio is intake's, not the load generator's. A token's first signature check is
 * priced apart, by the `tokens` case.
 */
export async function intakeBesideBareFastify(
  context: PipelineContext,
  sale: SaleKeys,
  customers: number,
): Promise<Figures> {
  assertWrk();
  const dir = await mkdtemp(join(context.workDir, 'wrk-'));
  let run: ((url: string) => Promise<WrkSummary>) | undefined;
  const intake = await withServices(
    context,
    sale,
    customers,
    async (services) => {
      const bearers: string[] = [];
      for (let i = 0; i < customers; i++) bearers.push(await services.identity.bearer(`alone-${i}`));
      run = await wrkOrders(dir, bearers);
      const pid = services.pid('customer-intake');
      const before = processCpuSeconds(pid);
      const summary = await run(services.intakeUrl);
      const cpu = processCpuSeconds(pid) - before;
      const accepted = summary.requests - summary.non2xx;
      // wrk stops with requests in flight: their orders are written, their answers not counted.
      const written = await entriesAdded(context.redis, sale.customers);
      if (written < accepted || written > summary.requests + 256) {
        throw new InvariantError('scenario 3 (intake alone)', [
          `${written} orders written for ${accepted} answers 202 of ${summary.requests}`,
        ]);
      }
      return { summary, cpuMicros: (cpu * 1e6) / summary.requests };
    },
    // Nothing decides the orders here: the backlog only grows, and must not turn them away; and a few hundred
    // customers order tens of times a second each, which only the rate limit's check must see, not refuse.
    {
      only: ['customer-intake'],
      envOf: { 'customer-intake': { MAX_BACKLOG: '100000000', RATE_LIMIT_PER_SECOND: '1000000' } },
    },
  );
  if (!run) throw new Error('the wrk run was not prepared');
  const bare = await withBareFastify(context.benchMain, run);
  return {
    'requestsPerSecond:intake': intake.summary.requestsPerSecond,
    'requestsPerSecond:bare': bare.summary.requestsPerSecond,
    intakeShareOfBare: (intake.summary.requestsPerSecond / bare.summary.requestsPerSecond) * 100,
    'non2xx:intake': intake.summary.non2xx + intake.summary.socketErrors,
    'httpP99:intake': intake.summary.latencyMs.p99,
    'httpP99:bare': bare.summary.latencyMs.p99,
    'cpuMicrosPerRequest:customer-intake': intake.cpuMicros,
    'cpuMicrosPerRequest:bare': bare.cpuMicros,
  };
}

/** Runs `main.js bare-fastify`, measures it with `run`, stops it. */
async function withBareFastify(
  benchMain: string,
  run: (url: string) => Promise<WrkSummary>,
): Promise<{ summary: WrkSummary; cpuMicros: number }> {
  const server = spawn(process.execPath, [benchMain, 'bare-fastify'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const closed = once(server, 'close');
  try {
    const [line] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
    const { port } = JSON.parse(line) as { port: number };
    const pid = server.pid as number;
    const before = processCpuSeconds(pid);
    const summary = await run(`http://127.0.0.1:${port}`);
    return { summary, cpuMicros: ((processCpuSeconds(pid) - before) * 1e6) / summary.requests };
  } finally {
    server.kill('SIGTERM');
    await closed;
  }
}
