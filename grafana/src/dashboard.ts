import { parse } from 'yaml';
import { type Dict, dict, isDict, list, str } from './json.ts';
import { workspaceRoot } from '@nx/devkit';
import { DASHBOARDS_DIR, DATASOURCES, filesUnder, readText } from './workspace.ts';

/** A dashboard file of grafana/dashboards, parsed. */
export interface Dashboard {
  readonly file: string;
  readonly json: Dict;
}

/** One query of one panel, with the uid of the datasource it goes to. */
export interface PanelQuery {
  readonly panel: Dict;
  readonly target: Dict;
  readonly datasourceUid: string | undefined;
}

/** Every `*.json` of grafana/dashboards, parsed; a file that does not parse throws, naming the file. */
export function loadDashboards(root: string = workspaceRoot): Dashboard[] {
  return filesUnder(DASHBOARDS_DIR, root)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      try {
        return { file, json: dict(JSON.parse(readText(file, root))) };
      } catch (error) {
        throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
}

/** The provisioned datasources: uid → type. */
export function provisionedDatasources(root: string = workspaceRoot): Map<string, string> {
  const provisioning = dict(parse(readText(DATASOURCES, root)));
  return new Map(
    list(provisioning['datasources'])
      .map(dict)
      .map((datasource) => [str(datasource['uid']) ?? '', str(datasource['type']) ?? ''] as const),
  );
}

/** Every panel, the rows and the panels inside collapsed rows included. */
export function allPanels(dashboard: Dict): Dict[] {
  return list(dashboard['panels'])
    .map(dict)
    .flatMap((panel) => [panel, ...list(panel['panels']).map(dict)]);
}

/** The panels that show data: every panel but the rows, which only group them. */
export function dataPanels(dashboard: Dict): Dict[] {
  return allPanels(dashboard).filter((panel) => panel['type'] !== 'row');
}

/** Every query of the dashboard; a target without its own datasource uses its panel's. */
export function panelQueries(dashboard: Dict): PanelQuery[] {
  return dataPanels(dashboard).flatMap((panel) =>
    list(panel['targets'])
      .map(dict)
      .map((target) => ({
        panel,
        target,
        datasourceUid: str(dict(target['datasource'])['uid']) ?? str(dict(panel['datasource'])['uid']),
      })),
  );
}

/** The queries that go to the datasource of this type. */
export function queriesOfType(dashboard: Dict, datasources: Map<string, string>, type: string): PanelQuery[] {
  return panelQueries(dashboard).filter(({ datasourceUid }) => datasources.get(datasourceUid ?? '') === type);
}

/** The dashboard's template variables with their default values. */
export function variableDefaults(dashboard: Dict): Record<string, string> {
  const variables = list(dict(dashboard['templating'])['list']).map(dict);
  return Object.fromEntries(
    variables.map((variable) => [str(variable['name']) ?? '', str(dict(variable['current'])['value']) ?? '']),
  );
}

/** A fixed uid is what links, bookmarks and the provisioning keep pointing at. */
const UID = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** `$name`, `${name}` and `${name:format}`; Grafana's own start with `__` (`$__rate_interval`, `${__value.raw}`). */
const VARIABLE = /\$(?:\{([\w.]+)(?::[^}]*)?\}|(\w+))/g;

/**
 * What is wrong with a dashboard: a uid that is missing or not fixed-looking, a numeric id (Grafana assigns it), an
 * editable dashboard, panels without title, gridPos or queries, duplicate panel ids, a datasource referenced by name
 * or by a uid the provisioning does not define, and variables used but not defined.
 */
export function checkDashboard({ file, json }: Dashboard, datasources: Map<string, string>): string[] {
  const problems: string[] = [];
  const uid = str(json['uid']);
  if (!uid || !UID.test(uid)) problems.push(`${file}: uid ${JSON.stringify(json['uid'])} is not a fixed uid (${UID})`);
  if (json['id'] !== undefined && json['id'] !== null) problems.push(`${file}: id must be null, Grafana assigns it`);
  if (json['editable'] !== false) problems.push(`${file}: editable must be false (provisioned read-only from git)`);
  if (!str(json['title'])) problems.push(`${file}: no title`);

  const seen = new Set<unknown>();
  for (const panel of allPanels(json)) {
    const name = `${file} panel ${JSON.stringify(panel['title'] ?? panel['id'])}`;
    if (!Number.isInteger(panel['id'])) problems.push(`${name}: no integer id`);
    else if (seen.has(panel['id'])) problems.push(`${name}: id ${String(panel['id'])} is used twice`);
    seen.add(panel['id']);
    if (!str(panel['title'])) problems.push(`${name}: no title`);
    problems.push(...gridProblems(name, dict(panel['gridPos'])));
    if (panel['type'] === 'row') continue;
    const targets = list(panel['targets']).map(dict);
    if (targets.length === 0) problems.push(`${name}: no query`);
    const refIds = targets.map((target) => str(target['refId']));
    if (refIds.some((refId) => !refId) || new Set(refIds).size !== refIds.length)
      problems.push(`${name}: refIds missing or repeated`);
  }
  for (const { panel, datasourceUid } of panelQueries(json))
    if (!datasourceUid)
      problems.push(`${file} panel ${JSON.stringify(panel['title'])}: a query without a datasource uid`);

  problems.push(...datasourceProblems(file, json, datasources));

  // Only where Grafana interpolates: queries and titles. Transformations name the Redis plugin's fields `$time`, `$streamId`.
  const interpolated = JSON.stringify(dataPanels(json).map((panel) => [panel['title'], panel['targets']]));
  const defined = new Set(Object.keys(variableDefaults(json)));
  for (const [, braced, bare] of interpolated.matchAll(VARIABLE)) {
    const name = (braced ?? bare ?? '').split('.')[0] as string;
    if (!name.startsWith('__') && !defined.has(name))
      problems.push(`${file}: variable $${name} is used but not defined`);
  }
  return [...new Set(problems)];
}

function gridProblems(name: string, grid: Dict): string[] {
  const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((key) => grid[key]);
  if (![x, y, w, h].every(Number.isInteger)) return [`${name}: gridPos needs integer x, y, w and h`];
  if (
    (x as number) < 0 ||
    (y as number) < 0 ||
    (w as number) < 1 ||
    (h as number) < 1 ||
    (x as number) + (w as number) > 24
  )
    return [`${name}: gridPos ${JSON.stringify(grid)} is outside the 24-column grid`];
  return [];
}

/** Every `datasource` must be `{type, uid}` with a provisioned uid (of that type); every `datasourceUid` must exist. */
function datasourceProblems(file: string, json: Dict, datasources: Map<string, string>): string[] {
  const problems: string[] = [];
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((item, index) => visit(item, `${path}[${index}]`));
    if (!isDict(value)) return;
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}.${key}`;
      if (key === 'datasource') {
        const uid = str(dict(item)['uid']);
        const type = str(dict(item)['type']);
        if (!uid) problems.push(`${file} ${at}: ${JSON.stringify(item)} is not a reference by uid`);
        else if (!datasources.has(uid)) problems.push(`${file} ${at}: uid ${uid} is not a provisioned datasource`);
        else if (type && datasources.get(uid) !== type)
          problems.push(`${file} ${at}: uid ${uid} has type ${datasources.get(uid)}, not ${type}`);
      } else if (key === 'datasourceUid') {
        if (!datasources.has(str(item) ?? ''))
          problems.push(`${file} ${at}: uid ${JSON.stringify(item)} is not a provisioned datasource`);
      } else visit(item, at);
    }
  };
  visit(json, '$');
  return problems;
}
