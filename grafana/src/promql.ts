/** Words of PromQL that look like metric names but are functions' neighbours: aggregations, modifiers, operators. */
const KEYWORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'atan2',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions, keywords, label names (inside
 * `{…}`, `by (…)`, `on (…)`), strings, durations or Grafana variables. `{__name__=…}` selectors are refused, since
 * their metric could be anything.
 */
export function metricNames(expr: string): string[] {
  if (expr.includes('__name__')) throw new Error(`${expr}: select metrics by name, not with __name__`);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/(?<![\w:.$])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()/g)].map(
    ([, name]) => name as string,
  );
  return [...new Set(names.filter((name) => !KEYWORDS.has(name.toLowerCase())))];
}

/** What the OpenTelemetry Prometheus exporter makes of an instrument: dots to underscores, `_total` on monotonic counters, a histogram's three series. */
function scrapedNames(kind: string, name: string): string[] {
  const base = name.replace(/\./g, '_');
  if (kind === 'Counter' || kind === 'ObservableCounter') return [`${base}_total`];
  if (kind === 'Histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [base];
}

/** The Prometheus names of the instruments created in these sources (`meter.createObservableGauge('popup.stock.left', …)`). */
export function instrumentMetricNames(sources: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const source of sources)
    for (const [, kind, name] of source.matchAll(/\.create(\w+)\(\s*['"`]([^'"`]+)['"`]/g))
      for (const scraped of scrapedNames(kind as string, name as string)) names.add(scraped);
  return names;
}

/**
 * The Prometheus names documented in docs/metrics.md: the first cell of each row of the Prometheus table. A cell like
 * `` `x_bucket`, `_sum`, `_count` `` names `x_bucket`, `x_sum` and `x_count`.
 */
export function documentedMetricNames(markdown: string): Set<string> {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Prometheus')) ?? '';
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const cell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    const [first, ...suffixes] = [...cell.matchAll(/`([\w:]+)`/g)].map(([, token]) => token as string);
    if (!first?.startsWith('popup_')) continue;
    names.add(first);
    const base = first.slice(0, first.lastIndexOf('_'));
    for (const suffix of suffixes) if (suffix.startsWith('_')) names.add(`${base}${suffix}`);
  }
  return names;
}
