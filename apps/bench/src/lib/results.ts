import type { BenchCase } from './cases';
import type { Figures } from './figures';
import { median } from './stats';

/** Every round's figures, by case id. */
export type Runs = Readonly<Record<string, readonly Figures[]>>;

export interface Cell {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median and range of one figure over the rounds; undefined when no round has it (a saturated level). */
export function cell(runs: Runs, id: string, figure: string): Cell | undefined {
  const values = (runs[id] ?? []).map((figures) => figures[figure]).filter((v): v is number => Number.isFinite(v));
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

const format = (value: number, digits: number) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The one table: every figure of every case, median and min–max over the rounds. */
export function table(cases: readonly BenchCase[], runs: Runs): string {
  const lines = ['| scenario | way | figure | median | min–max |', '| --- | --- | --- | ---: | ---: |'];
  for (const { id, scenario, title, rows } of cases) {
    for (const { figure, label, digits } of rows) {
      const c = cell(runs, id, figure);
      const values = c
        ? [format(c.median, digits), `${format(c.min, digits)}–${format(c.max, digits)}`]
        : ['saturated', '—'];
      lines.push(`| ${scenario} | ${title} | ${label} | ${values.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

export interface Comparison {
  readonly ratios: readonly string[];
  readonly targets: readonly { readonly target: string; readonly value: number; readonly met: boolean }[];
}

/** Ratios of this project to each baseline measured in the same run, and the issue's targets, from the medians. */
export function compare(cases: readonly BenchCase[], runs: Runs): Comparison {
  const med = (id: string, figure: string) => cell(runs, id, figure)?.median;
  const times = (a: number, b: number) => `${format(a / b, 1)}×`;
  const ratios: string[] = [];
  const targets: { target: string; value: number; met: boolean }[] = [];
  const target = (name: string, value: number | undefined, met: (v: number) => boolean) => {
    if (value !== undefined) targets.push({ target: name, value: Math.round(value * 100) / 100, met: met(value) });
  };

  const engines = cases
    .filter((c) => c.scenario === '1')
    .map((c) => ({ c, rate: med(c.id, 'decisionsPerSecond') ?? 0 }));
  const best = engines.reduce<(typeof engines)[number] | undefined>(
    (a, b) => (a && a.rate >= b.rate ? a : b),
    undefined,
  );
  const demo = med('demo', 'decisionsPerSecond');
  const bullmq = med('bullmq', 'decisionsPerSecond');
  const stream = med('stream', 'decisionsPerSecond');
  if (best) {
    const bestCpu = med(best.c.id, 'redisCpuMicrosPerDecision') ?? Number.NaN;
    const name = `scenario 1 at its best (${best.c.title}: ${format(best.rate, 0)}/s)`;
    if (demo) {
      const demoCpu = med('demo', 'redisCpuMicrosPerDecision') ?? Number.NaN;
      ratios.push(
        `${name} ÷ original demo: ${times(best.rate, demo)} decisions/s, ${times(demoCpu, bestCpu)} less Redis CPU per decision`,
      );
    }
    if (bullmq) ratios.push(`${name} ÷ BullMQ: ${times(best.rate, bullmq)} decisions/s`);
    const xadd = med('ceiling', 'xaddPerSecond');
    if (xadd) ratios.push(`${name} ÷ redis-benchmark pipelined XADD: ${format((best.rate / xadd) * 100, 0)}%`);
    if (stream)
      ratios.push(`scenario 2 end to end ÷ scenario 1 at its best: ${format((stream / best.rate) * 100, 0)}%`);
    const oneCaller = engines.filter((e) => !/x\d+$/.test(e.c.id)).sort((a, b) => b.rate - a.rate)[0];
    if (oneCaller && oneCaller !== best)
      ratios.push(`scenario 1 with one caller at its best: ${oneCaller.c.title}, ${format(oneCaller.rate, 0)}/s`);
    target('scenario 1: ≥ 85,000 decisions/s at the best batch', best.rate, (v) => v >= 85_000);
    if (demo) target('scenario 1: ≥ 6× the original demo', best.rate / demo, (v) => v >= 6);
    if (bullmq) target('scenario 1: ≥ 12× BullMQ', best.rate / bullmq, (v) => v >= 12);
  }
  const pipelineCpu = cpuPerOrder(runs, 'stream');
  if (best && pipelineCpu !== undefined) {
    const bestCpu = med(best.c.id, 'redisCpuMicrosPerDecision');
    if (bestCpu) {
      ratios.push(
        `scenario 2 CPU per order, every process: ${format(pipelineCpu, 1)} µs = ${times(pipelineCpu, bestCpu)} the gears' Redis CPU per decision at scenario 1's best (${format(bestCpu, 1)} µs)`,
      );
      target('scenario 2: CPU per order ≤ 4× the gears’ Redis CPU per decision', pipelineCpu / bestCpu, (v) => v <= 4);
    }
  }
  if (best && stream) {
    target('scenario 2: end to end ≥ 45% of scenario 1’s best (%)', (stream / best.rate) * 100, (v) => v >= 45);
  }
  if (stream) {
    if (demo) ratios.push(`scenario 2 end to end ÷ original demo (completion stage alone): ${times(stream, demo)}`);
    if (bullmq) ratios.push(`scenario 2 end to end ÷ BullMQ (completion stage alone): ${times(stream, bullmq)}`);
    target('scenario 2: ≥ 25,000 decisions/s end to end', stream, (v) => v >= 25_000);
  }
  const p99 = med('paced', 'p99@5000');
  if (p99 !== undefined) {
    const others = (['demo', 'bullmq'] as const)
      .map((kind) => ({ kind, value: med(`paced-${kind}`, 'p99@5000') }))
      .filter((o) => runs[`paced-${o.kind}`])
      .map(({ kind, value }) =>
        value === undefined
          ? `${kind}: saturated`
          : `${kind}: ${format(value, 0)} ms (${times(value, Math.max(1, p99))})`,
      );
    ratios.push(
      `p99 at 5,000 orders/s offered: pipeline ${format(p99, 0)} ms${others.length ? `; ${others.join('; ')}` : ''}`,
    );
    target('scenario 2: p99 ≤ 50 ms at 5,000/s offered', p99, (v) => v <= 50);
  }
  for (const mode of ['http', 'stream'] as const) {
    const figure = mode === 'http' ? 'httpP99' : 'p99';
    const always = med(`fsync-always-${mode}`, figure);
    const everysec = med(`fsync-everysec-${mode}`, figure);
    const rateFigure = mode === 'http' ? 'answersPerSecond' : 'decisionsPerSecond';
    const alwaysRate = med(`fsync-always-${mode}`, rateFigure);
    const everysecRate = med(`fsync-everysec-${mode}`, rateFigure);
    if (always !== undefined && everysec !== undefined && alwaysRate && everysecRate)
      ratios.push(
        `appendfsync always ÷ everysec, ${mode}: p99 ${format(always, 0)} ms against ${format(everysec, 0)} ms, ${format((alwaysRate / everysecRate) * 100, 0)}% of the rate`,
      );
  }
  const oneRedisCpu = med('sales-one', 'redisCpuMicrosPerDecision');
  const clusterCpu = med('sales-cluster', 'redisCpuMicrosPerDecision');
  const busiest = med('sales-cluster', 'redisCpuMicrosPerDecision:rank-1');
  const oneSaleBusiest = med('sales-cluster-one', 'redisCpuMicrosPerDecision:rank-1');
  const oneSaleCpu = med('sales-cluster-one', 'redisCpuMicrosPerDecision');
  if (oneRedisCpu && clusterCpu && busiest && oneSaleBusiest && oneSaleCpu)
    ratios.push(
      `many sales: the cluster's Redis CPU per decision ÷ one Redis's: ${times(clusterCpu, oneRedisCpu)}; the busiest master does ${format((busiest / clusterCpu) * 100, 0)}% of it with the sales spread, ${format((oneSaleBusiest / oneSaleCpu) * 100, 0)}% with one sale`,
    );
  const verify = med('tokens', 'verifyMicros');
  const hit = med('tokens', 'cacheHitMicros');
  if (verify && hit)
    ratios.push(
      `a token verification costs ${times(verify, hit)} a cache hit (${format(verify, 0)} µs against ${format(hit, 2)} µs)`,
    );
  target(
    'scenario 3: ≥ 10,000 accepted requests/s (HTTP answers/s)',
    med('http', 'answersPerSecond'),
    (v) => v >= 10_000,
  );
  target('scenario 3: HTTP p99 ≤ 100 ms at 5,000/s offered', med('http-paced', 'httpP99'), (v) => v <= 100);
  const intakeCpu = med('http-alone', 'cpuMicrosPerRequest:customer-intake');
  const bareCpu = med('http-alone', 'cpuMicrosPerRequest:bare');
  if (intakeCpu && bareCpu)
    ratios.push(
      `accepted path by wrk: customer-intake spends ${times(intakeCpu, bareCpu)} a bare Fastify's CPU per 202 (${format(intakeCpu, 0)} µs against ${format(bareCpu, 0)} µs)`,
    );
  target(
    'scenario 3: customer-intake alone ≥ 60% of a bare Fastify on the accepted path, by wrk (%)',
    med('http-alone', 'intakeShareOfBare'),
    (v) => v >= 60,
  );
  return { ratios, targets };
}

/** The CPU µs per order of every process of a pipeline case (Redis, the services, the writer), summed medians. */
function cpuPerOrder(runs: Runs, id: string): number | undefined {
  const figures = Object.keys(runs[id]?.[0] ?? {}).filter((figure) => figure.startsWith('cpuMicrosPerOrder:'));
  if (figures.length === 0) return undefined;
  return figures.reduce((sum, figure) => sum + (cell(runs, id, figure)?.median ?? 0), 0);
}

/** The comparison as the lines printed under the table. */
export function comparisonLines({ ratios, targets }: Comparison): string[] {
  return [
    'Ratios (medians of this run):',
    ...ratios.map((r) => `- ${r}`),
    '',
    'Targets (issues 7 and 13):',
    ...targets.map(
      (t) => `- ${t.met ? 'met' : 'MISSED'}: ${t.target} (measured ${format(t.value, t.value < 100 ? 1 : 0)})`,
    ),
  ];
}
