import type { BenchCase } from './cases';
import { cell, type Runs } from './results';
import type { Sizes } from './sizes';
import { lineChart, type Series } from './svg-chart';

const COLORS = { popup: '#1f77b4', twoInFlight: '#2ca02c', demo: '#d62728', bullmq: '#ff7f0e' };

/** Latency against offered load (scenario 4): p50 dashed, p99 solid, for the pipeline and each baseline. */
export function latencyPlot(runs: Runs, sizes: Sizes): string | undefined {
  const ways = [
    { id: 'paced', name: 'popup pipeline', color: COLORS.popup },
    { id: 'paced-demo', name: 'original demo', color: COLORS.demo },
    { id: 'paced-bullmq', name: 'BullMQ', color: COLORS.bullmq },
  ].filter(({ id }) => runs[id]);
  if (ways.length === 0) return undefined;
  const series: Series[] = ways.flatMap(({ id, name, color }) =>
    (['p99', 'p50'] as const).map((q) => ({
      name: `${name} ${q}`,
      color,
      dashed: q === 'p50',
      points: sizes.pacedRates.map((rate) => [rate, cell(runs, id, `${q}@${rate}`)?.median ?? Number.NaN] as const),
    })),
  );
  return lineChart({
    title: 'Submission → decision latency against offered load',
    xLabel: 'offered orders/s',
    yLabel: 'latency, ms (log)',
    xLog: true,
    yLog: true,
    series,
  });
}

/** Decisions/s against batch size (scenario 1), with the baselines as flat lines for scale. */
export function batchPlot(cases: readonly BenchCase[], runs: Runs, sizes: Sizes): string | undefined {
  const rate = (id: string) => cell(runs, id, 'decisionsPerSecond')?.median ?? Number.NaN;
  const engines = cases.filter((c) => c.scenario === '1');
  if (engines.length === 0) return undefined;
  const span = [Math.min(...sizes.batches), Math.max(...sizes.batches)];
  const flat = (id: string, name: string, color: string): Series[] =>
    runs[id] ? [{ name, color, dashed: true, points: span.map((batch) => [batch, rate(id)] as const) }] : [];
  return lineChart({
    title: 'Completion engine: decisions/s against batch size',
    xLabel: 'orders per FCALL (log)',
    yLabel: 'decisions/s',
    xLog: true,
    series: [
      {
        name: 'popup, 1 caller',
        color: COLORS.popup,
        points: sizes.batches.map((b) => [b, rate(`engine-b${b}`)] as const),
      },
      {
        name: 'popup, 2 in flight',
        color: COLORS.twoInFlight,
        points: sizes.inFlightBatches.map((b) => [b, rate(`engine-b${b}x2`)] as const),
      },
      ...flat('demo', 'original demo', COLORS.demo),
      ...flat('bullmq', 'BullMQ (jobs/s)', COLORS.bullmq),
    ],
  });
}
