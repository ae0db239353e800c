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
import { redisCommand } from './redis-query.ts';
import { workspaceRoot } from '@nx/devkit';

/** The dashboards and what they are checked against, read once. */
export interface Dashboards {
  readonly dashboards: Dashboard[];
  /** Provisioned datasources: uid → type. */
  readonly datasources: Map<string, string>;
}

export function loadDashboardContext(root: string = workspaceRoot): Dashboards {
  return { dashboards: loadDashboards(root), datasources: provisionedDatasources(root) };
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
  'Redis queries are plain plugin commands': redisProblems,
  'data links open traces in Tempo': traceLinkProblems,
};
