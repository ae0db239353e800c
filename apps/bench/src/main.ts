import { Command, InvalidArgumentError } from 'commander';
import { dirname, resolve } from 'node:path';
import { runBaselineWorker } from './lib/baselines/baseline-worker';
import { runBareFastify } from './lib/bare-fastify';
import type { BaselineKind } from './lib/baselines/paced-baselines';
import { runBench } from './lib/bench';
import { httpLoad } from './lib/http-load';
import { SCENARIOS, type ScenarioId } from './lib/cases';
import { FULL_SIZES, QUICK_SIZES, resize } from './lib/sizes';

const count = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('a whole number >= 1');
  return parsed;
};

const scenarioList = (value: string): ScenarioId[] => {
  const chosen = value.split(',').map((s) => s.trim());
  const unknown = chosen.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown ${unknown.join(', ')}; choose from ${SCENARIOS.join(',')}`);
  return chosen as ScenarioId[];
};

// dist/apps/bench/main.js: the workspace's dist folder is two levels up, its docs folder beside dist.
const distDir = resolve(dirname(process.argv[1] as string), '..', '..');

const program = new Command('bench')
  .description('The sale at full speed beside the baselines, on a private Redis: one table of medians (issue 7).')
  .option('--runs <n>', 'rounds of every case, interleaved', count, 3)
  .option('--quick', 'small sizes: a check that everything runs, not figures to quote')
  .option('--scenarios <list>', `which to run, of ${SCENARIOS.join(',')}`, scenarioList, [...SCENARIOS])
  .option('--customers <n>', 'orders per run of every scenario (overrides the sizes)', count)
  .option('--units <n>', 'stock of every sale (overrides the sizes)', count)
  .option('--report <file>', 'write the raw figures of every run as JSON')
  .option('--docs', 'write the plots and the figures section of docs/benchmarks.md (default: for a full run only)')
  .option('--no-docs', 'do not write into docs/')
  .option('--cpu-prof <dir>', 'run the services with --cpu-prof, profiles into <dir>');

program
  .command('baseline-worker <kind> <redisUrl> <saleId>', { hidden: true })
  .description("a baseline's completer as its own process, until SIGTERM")
  .action((kind: BaselineKind, redisUrl: string, saleId: string) => runBaselineWorker(kind, redisUrl, saleId));

program
  .command('http-load <url> <customers> <rate> <seed>', { hidden: true })
  .description("scenario 3's load generator as its own process: prints its summary as JSON")
  .action(async (url: string, customers: string, rate: string, seed: string) => {
    const identity = {
      signingKey: process.env['IDENTITY_SIGNING_KEY'] ?? '',
      issuer: process.env['IDENTITY_ISSUER'] ?? '',
      audience: process.env['IDENTITY_AUDIENCE'] ?? '',
    };
    const summary = await httpLoad(url, Number(customers), Number(rate), Number(seed), identity);
    process.stdout.write(JSON.stringify(summary));
  });

program
  .command('bare-fastify', { hidden: true })
  .description("scenario 3's yardstick: a bare Fastify answering POST /api/orders with 202, until SIGTERM")
  .action(() => runBareFastify());

program.action(async () => {
  const options = program.opts<{
    runs: number;
    quick?: boolean;
    scenarios: ScenarioId[];
    customers?: number;
    units?: number;
    report?: string;
    docs?: boolean;
    cpuProf?: string;
  }>();
  const resized = options.customers !== undefined || options.units !== undefined;
  const sizes = resize(options.quick ? QUICK_SIZES : FULL_SIZES, options.customers, options.units);
  // Only a full run's figures belong in the docs, unless asked.
  const fullRun = !options.quick && !resized && options.scenarios.length === SCENARIOS.length;
  await runBench(
    {
      runs: options.runs,
      sizes,
      scenarios: new Set(options.scenarios),
      report: options.report,
      docsDir: (options.docs ?? fullRun) ? resolve(distDir, '..', 'docs') : undefined,
      distDir,
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      serviceNodeFlags: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProf)}`] : undefined,
    },
    (text) => process.stdout.write(`${text}\n`),
    (text) => process.stderr.write(`${text}\n`),
  );
});

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`\nbench FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
