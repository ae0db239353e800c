import { repoPathOf } from './compose.ts';
import { type Dict, dict, isDict, list, str } from './json.ts';

/** The datasources dashboards refer to, by fixed uid, with their types. */
export const REQUIRED_DATASOURCES: Record<string, string> = {
  redis: 'redis-datasource',
  prometheus: 'prometheus',
  tempo: 'tempo',
};

/** Datasource types that ship inside Grafana; any other type is a plugin that must be installed. */
const BUILT_IN_TYPES = new Set([
  'prometheus',
  'tempo',
  'loki',
  'jaeger',
  'zipkin',
  'elasticsearch',
  'graphite',
  'influxdb',
  'mysql',
  'grafana-postgresql-datasource',
  'mssql',
  'cloudwatch',
  'stackdriver',
  'grafana-testdata-datasource',
]);

function collect(value: unknown, key: string, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) collect(item, key, found);
  else if (isDict(value))
    for (const [name, item] of Object.entries(value)) {
      if (name === key && typeof item === 'string') found.push(item);
      else collect(item, key, found);
    }
  return found;
}

/** Plugins the Grafana container installs at start. */
export function installedPlugins(grafana: Dict): Set<string> {
  const environment = dict(grafana['environment']);
  const lists = ['GF_PLUGINS_PREINSTALL_SYNC', 'GF_PLUGINS_PREINSTALL', 'GF_INSTALL_PLUGINS'].map((key) => str(environment[key]) ?? '');
  return new Set(lists.flatMap((value) => value.split(',')).map((id) => id.trim().split('@')[0]).filter(Boolean));
}

/**
 * Fixed, unique uids (the ones dashboards use are there, with the right types); every `datasourceUid` the
 * datasources point at (exemplar destinations, service map, traces to metrics) is one of them; nothing is
 * editable in the UI; every plugin type is installed by the Grafana container.
 */
export function checkDatasources(provisioning: Dict, grafana: Dict): string[] {
  const problems: string[] = [];
  const datasources = list(provisioning['datasources']).map(dict);
  const uids = new Map<string, Dict>();
  for (const datasource of datasources) {
    const name = str(datasource['name']) ?? '?';
    const uid = str(datasource['uid']);
    if (!uid) problems.push(`datasource ${name}: no uid (dashboards need a fixed one)`);
    else if (uids.has(uid)) problems.push(`datasource ${name}: uid ${uid} is used twice`);
    else uids.set(uid, datasource);
    if (datasource['editable'] !== false) problems.push(`datasource ${name}: editable must be false (provisioned from git)`);
  }
  for (const [uid, type] of Object.entries(REQUIRED_DATASOURCES)) {
    const datasource = uids.get(uid);
    if (!datasource) problems.push(`no datasource with uid ${uid} (type ${type})`);
    else if (datasource['type'] !== type) problems.push(`datasource ${uid}: type ${str(datasource['type'])}, expected ${type}`);
  }
  for (const datasource of datasources)
    for (const target of collect(datasource['jsonData'], 'datasourceUid'))
      if (!uids.has(target)) problems.push(`datasource ${str(datasource['uid'])}: points at datasourceUid ${target}, which does not exist`);

  const prometheus = uids.get('prometheus');
  const destinations = list(dict(prometheus?.['jsonData'])['exemplarTraceIdDestinations']).map(dict);
  const toTraces = destinations.filter((destination) => uids.get(str(destination['datasourceUid']) ?? '')?.['type'] === 'tempo');
  if (toTraces.length === 0) problems.push('datasource prometheus: no exemplarTraceIdDestinations entry pointing at a tempo datasource');
  for (const destination of toTraces)
    if (destination['name'] !== 'trace_id') problems.push(`datasource prometheus: exemplar label ${str(destination['name'])}, expected trace_id`);

  const plugins = installedPlugins(grafana);
  for (const datasource of datasources) {
    const type = str(datasource['type']) ?? '';
    if (!BUILT_IN_TYPES.has(type) && !plugins.has(type))
      problems.push(`datasource ${str(datasource['uid'])}: type ${type} is a plugin the grafana service does not install`);
  }
  return problems;
}

export const PROVISIONING_DIR = 'grafana/provisioning';
export const DASHBOARDS_DIR = 'grafana/dashboards';

/**
 * Grafana reads its provisioning from the repository's grafana/provisioning, and every dashboard provider is
 * read-only (allowUiUpdates false, disableDeletion) and reads the repository's grafana/dashboards.
 */
export function checkDashboardProvisioning(providers: Dict, grafana: Dict): string[] {
  const problems: string[] = [];
  const provisioning = str(dict(grafana['environment'])['GF_PATHS_PROVISIONING']) ?? '/etc/grafana/provisioning';
  const provisioningSource = repoPathOf(grafana, provisioning);
  if (provisioningSource !== PROVISIONING_DIR)
    problems.push(`grafana: provisioning path ${provisioning} comes from ${provisioningSource ?? 'no bind mount'}, not ${PROVISIONING_DIR}`);

  const all = list(providers['providers']).map(dict);
  if (all.length === 0) problems.push('dashboard providers: none');
  for (const provider of all) {
    const name = str(provider['name']) ?? '?';
    if (provider['allowUiUpdates'] !== false) problems.push(`dashboard provider ${name}: allowUiUpdates must be false`);
    if (provider['disableDeletion'] !== true) problems.push(`dashboard provider ${name}: disableDeletion must be true`);
    if ((str(provider['type']) ?? 'file') !== 'file') problems.push(`dashboard provider ${name}: type must be file`);
    const path = str(dict(provider['options'])['path']);
    const source = path ? repoPathOf(grafana, path) : undefined;
    if (source !== DASHBOARDS_DIR)
      problems.push(`dashboard provider ${name}: path ${path ?? '(none)'} comes from ${source ?? 'no bind mount'}, not ${DASHBOARDS_DIR}`);
  }
  return problems;
}
