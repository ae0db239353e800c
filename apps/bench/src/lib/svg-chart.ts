/**
 * A small SVG line chart, written by hand: two plots of a few points each do not need a charting library (vega
 * and its thirty packages, or a headless browser), and plain SVG renders on GitHub and in any browser.
 */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
  /** [x, y] points; a series of one point shows as a dot. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  readonly series: readonly Series[];
}

const WIDTH = 720;
const HEIGHT = 420;
const PLOT = { left: 80, right: 200, top: 40, bottom: 60 };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const label = (value: number) =>
  value >= 1000
    ? `${(value / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })}k`
    : value.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** Tick values: powers of ten (and 2, 5 between them when few) on a log axis, about five even steps on a linear one. */
function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const decades: number[] = [];
    for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) decades.push(10 ** p);
    const fine = decades.length <= 3 ? decades.flatMap((d) => [d, 2 * d, 5 * d]) : decades;
    return fine.filter((t) => t >= min / 1.0001 && t <= max * 1.0001);
  }
  const step = 10 ** Math.floor(Math.log10(max / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= 6) ?? 10 * step;
  const values: number[] = [];
  for (let t = 0; t <= max * 1.0001; t += nice) values.push(t);
  return values;
}

export function lineChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => (spec.yLog ? Math.max(y, 1) : y));
  const xMin = spec.xLog ? 10 ** Math.floor(Math.log10(Math.min(...xs))) : 0;
  const xMax = spec.xLog ? 10 ** Math.ceil(Math.log10(Math.max(...xs))) : Math.max(...xs) * 1.05;
  const yMin = spec.yLog ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 0;
  const yMax = spec.yLog ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : Math.max(...ys) * 1.1;
  const width = WIDTH - PLOT.left - PLOT.right;
  const height = HEIGHT - PLOT.top - PLOT.bottom;
  const scale = (v: number, min: number, max: number, log?: boolean) =>
    log ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : (v - min) / (max - min);
  const px = (x: number) => PLOT.left + scale(x, xMin, xMax, spec.xLog) * width;
  const py = (y: number) => PLOT.top + height - scale(spec.yLog ? Math.max(y, 1) : y, yMin, yMax, spec.yLog) * height;
  const round = (v: number) => Math.round(v * 10) / 10;

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(spec.title)}</text>`,
  ];
  for (const t of ticks(xMin, xMax, spec.xLog ?? false)) {
    const x = round(px(t));
    out.push(`<line x1="${x}" y1="${PLOT.top}" x2="${x}" y2="${PLOT.top + height}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${PLOT.top + height + 18}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of ticks(yMin, yMax, spec.yLog ?? false)) {
    const y = round(py(t));
    out.push(`<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.left + width}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${PLOT.left - 8}" y="${y + 4}" text-anchor="end">${label(t)}</text>`);
  }
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${width}" height="${height}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${PLOT.left + width / 2}" y="${HEIGHT - 18}" text-anchor="middle">${escape(spec.xLabel)}</text>`);
  out.push(
    `<text x="20" y="${PLOT.top + height / 2}" text-anchor="middle" transform="rotate(-90 20 ${PLOT.top + height / 2})">${escape(spec.yLabel)}</text>`,
  );
  spec.series.forEach((series, i) => {
    const valid = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const path = valid.map(([x, y]) => `${round(px(x))},${round(py(y))}`).join(' ');
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    if (valid.length > 1)
      out.push(`<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of valid)
      out.push(`<circle cx="${round(px(x))}" cy="${round(py(y))}" r="3.5" fill="${series.color}"/>`);
    const ly = PLOT.top + 10 + i * 20;
    const lx = PLOT.left + width + 14;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${series.color}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${escape(series.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
