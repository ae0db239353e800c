import {
  checkDashboard,
  type Dashboard,
  dataPanels,
  loadDashboards,
  provisionedDatasources,
  queriesOfType,
  variableDefaults,
} from './dashboard.ts';
import { dict, list, str } from './json.ts';
import { documentedMetricNames, instrumentMetricNames, metricNames } from './promql.ts';
import { interpolate, redisCommand } from './redis-query.ts';
import { documentedSeriesKeys, exportedSeriesKeys } from './series-keys.ts';
import { filesUnder, METRICS_DOC, METRICS_EXPORT_SRC, readText, workspaceRoot } from './workspace.ts';

/** The dashboards and what they are checked against, read once. */
export interface Dashboards {
  readonly dashboards: Dashboard[];
  /** Provisioned datasources: uid → type. */
  readonly datasources: Map<string, string>;
  /** Prometheus names listed in docs/metrics.md. */
  readonly documented: Set<string>;
  /** Prometheus names of the instruments metrics-export creates (its sources, specs and test helpers left out). */
  readonly exported: Set<string>;
  /** Redis series keys documented in docs/metrics.md, and those metrics-export's sources build, as patterns. */
  readonly seriesDocumented: RegExp[];
  readonly seriesExported: RegExp[];
}

export function loadDashboardContext(root: string = workspaceRoot()): Dashboards {
  const sources = filesUnder(METRICS_EXPORT_SRC, root)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.includes('/test/'))
    .map((file) => readText(file, root));
  const doc = readText(METRICS_DOC, root);
  return {
    dashboards: loadDashboards(root),
    datasources: provisionedDatasources(root),
    documented: documentedMetricNames(doc),
    exported: instrumentMetricNames(sources),
    seriesDocumented: documentedSeriesKeys(doc),
    seriesExported: exportedSeriesKeys(sources),
  };
}

/** Every PromQL metric name must be both documented and exported by metrics-export: a rename on either side shows. */
export function prometheusProblems({ dashboards, datasources, documented, exported }: Dashboards): string[] {
  const problems: string[] = [];
  for (const { file, json } of dashboards)
    for (const { panel, target } of queriesOfType(json, datasources, 'prometheus')) {
      const where = `${file} panel ${JSON.stringify(panel['title'])} ${str(target['refId']) ?? '?'}`;
      const expr = str(target['expr']);
      if (!expr) {
        problems.push(`${where}: no expr`);
        continue;
      }
      try {
        for (const name of metricNames(expr)) {
          if (!documented.has(name)) problems.push(`${where}: ${name} is not in docs/metrics.md`);
          if (!exported.has(name)) problems.push(`${where}: ${name} is not an instrument of metrics-export`);
        }
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  return problems;
}

/** Every Redis query must be one the plugin runs as a plain command (see `redisCommand`). */
export function redisProblems({ dashboards, datasources }: Dashboards): string[] {
  const problems: string[] = [];
  for (const { file, json } of dashboards)
    for (const { panel, target } of queriesOfType(json, datasources, 'redis-datasource')) {
      try {
        redisCommand(target, variableDefaults(json), { from: 0, to: 1 });
      } catch (error) {
        problems.push(
          `${file} panel ${JSON.stringify(panel['title'])}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  return problems;
}

/** Every time series key a Redis query reads (`…:ts:…`) is documented and built by metrics-export. */
export function seriesKeyProblems({ dashboards, datasources, seriesDocumented, seriesExported }: Dashboards): string[] {
  const problems: string[] = [];
  for (const { file, json } of dashboards)
    for (const { panel, target } of queriesOfType(json, datasources, 'redis-datasource')) {
      const key = interpolate(str(target['keyName']) ?? '', variableDefaults(json));
      if (!key.includes(':ts:')) continue;
      const where = `${file} panel ${JSON.stringify(panel['title'])} ${str(target['refId']) ?? '?'}`;
      if (!seriesDocumented.some((pattern) => pattern.test(key)))
        problems.push(`${where}: ${key} is not a series of docs/metrics.md`);
      if (!seriesExported.some((pattern) => pattern.test(key)))
        problems.push(`${where}: ${key} is not a series metrics-export writes`);
    }
  return problems;
}

/** Every data link into a datasource (the panel's own, or an override's) opens a Tempo trace with a TraceQL query. */
export function traceLinkProblems({ dashboards, datasources }: Dashboards): string[] {
  const problems: string[] = [];
  for (const { file, json } of dashboards)
    for (const panel of dataPanels(json)) {
      const config = dict(panel['fieldConfig']);
      const overridden = list(config['overrides'])
        .flatMap((override) => list(dict(override)['properties']).map(dict))
        .filter((property) => property['id'] === 'links')
        .flatMap((property) => list(property['value']));
      for (const link of [...list(dict(config['defaults'])['links']), ...overridden].map(dict)) {
        if (!link['internal']) continue;
        const internal = dict(link['internal']);
        const where = `${file} panel ${JSON.stringify(panel['title'])} link ${JSON.stringify(link['title'])}`;
        if (datasources.get(str(internal['datasourceUid']) ?? '') !== 'tempo')
          problems.push(`${where}: does not open a tempo datasource`);
        const query = dict(internal['query']);
        if (query['queryType'] !== 'traceql' || !str(query['query']))
          problems.push(`${where}: needs queryType traceql and a query`);
      }
    }
  return problems;
}

/** The checks that need no Redis, by name: `npx nx build grafana` runs them, the specs assert them. */
export const CHECKS: Record<string, (context: Dashboards) => string[]> = {
  'dashboards: uid, read-only, panels, datasource uids, variables': ({ dashboards, datasources }) =>
    dashboards.flatMap((dashboard) => checkDashboard(dashboard, datasources)),
  'Prometheus queries name exported metrics': prometheusProblems,
  'Redis queries are plain plugin commands': redisProblems,
  'Redis series keys are the ones metrics-export writes': seriesKeyProblems,
  'data links open traces in Tempo': traceLinkProblems,
};
