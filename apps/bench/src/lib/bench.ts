import { loadGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { RedisServerProcess } from '@popup-store/redis-process';
import { connectServer } from '@popup-store/redis-connection';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCases, type ScenarioId } from './cases';
import { writeDocsSection } from './docs-page';
import type { Figures } from './figures';
import { describeMachine, machineLine } from './machine';
import { batchPlot, latencyPlot } from './plots';
import { compare, comparisonLines, table } from './results';
import type { Sizes } from './sizes';

export interface BenchOptions {
  readonly runs: number;
  readonly sizes: Sizes;
  readonly scenarios: ReadonlySet<ScenarioId>;
  /** Where the raw figures go as JSON. */
  readonly report?: string;
  /** The docs folder to write the plots and the figures section of benchmarks.md into; none when omitted. */
  readonly docsDir?: string;
  /** The workspace's `dist` folder: the services, the crowd and the bench itself, built. */
  readonly distDir: string;
  /** The command line, as the docs quote it. */
  readonly command: string;
  /** Extra Node flags for the services (`--cpu-prof`, say). */
  readonly serviceNodeFlags?: readonly string[];
}

/**
 * Runs every case of the chosen scenarios `runs` times, interleaved (round 1 of every case, then round 2…) so that
 * drift of a shared machine hits them alike, on one private Redis; prints the table, ratios and targets.
 * Throws on the first broken invariant: the run stops there.
 */
export async function runBench(
  options: BenchOptions,
  print: (text: string) => void,
  progress: (text: string) => void,
): Promise<void> {
  const server = await RedisServerProcess.start();
  const redis = connectServer(server.url);
  const second = connectServer(server.url);
  const workDir = await mkdtemp(join(tmpdir(), 'popup-bench-'));
  let keepLogs = true;
  try {
    await loadGears(redis);
    const machine = await describeMachine(redis);
    const sale = saleKeys('bench');
    const pipeline = {
      redis,
      redisUrl: server.url,
      distDir: options.distDir,
      workDir,
      benchMain: join(options.distDir, 'apps', 'bench', 'main.js'),
      nodeFlags: options.serviceNodeFlags,
    };
    const cases = benchCases({ server, redis, second, sale, pipeline }, options.sizes, options.scenarios);
    progress(`${machineLine(machine)}; logs in ${workDir}`);
    const runs: Record<string, Figures[]> = Object.fromEntries(cases.map((c) => [c.id, []]));
    const started = Date.now();
    for (let round = 1; round <= options.runs; round++) {
      for (const c of cases) {
        progress(`[round ${round}/${options.runs}, ${Math.round((Date.now() - started) / 1000)} s] ${c.title}`);
        runs[c.id]?.push(await c.run(round));
      }
    }
    const loadAtEnd = loadavg().map((load) => Math.round(load * 100) / 100);
    const comparison = compare(cases, runs);
    const text = [
      `${machineLine(machine)}, at end ${loadAtEnd.join(' / ')}`,
      `median of ${options.runs} interleaved runs, min–max beside it; every run of this project ended with exactly the stock sold, none oversold, none lost`,
      '',
      table(cases, runs),
      '',
      ...comparisonLines(comparison),
    ].join('\n');
    print(text);
    if (options.report) {
      const raw = { command: options.command, machine, loadAtEnd, sizes: options.sizes, runs, ...comparison };
      await writeFile(options.report, `${JSON.stringify(raw, null, 2)}\n`);
    }
    if (options.docsDir) {
      const plots = {
        'bench-latency.svg': latencyPlot(runs, options.sizes),
        'bench-batch.svg': batchPlot(cases, runs, options.sizes),
      };
      for (const [name, svg] of Object.entries(plots)) if (svg) await writeFile(join(options.docsDir, name), svg);
      const section = [
        `Command: \`${options.command}\` (${Math.round((Date.now() - started) / 60_000)} min), on ${new Date().toISOString().slice(0, 10)}.`,
        '',
        `Machine: ${text.split('\n')[0]}.`,
        '',
        ...text.split('\n').slice(1),
        '',
        '![latency against offered load](bench-latency.svg)',
        '',
        '![decisions/s against batch size](bench-batch.svg)',
      ].join('\n');
      await writeDocsSection(join(options.docsDir, 'benchmarks.md'), section);
    }
    keepLogs = false;
  } finally {
    redis.disconnect();
    second.disconnect();
    await server.dispose();
    if (!keepLogs) await rm(workDir, { recursive: true, force: true });
  }
}
