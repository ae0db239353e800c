import { repoPathOf } from './compose.ts';
import { interpolate } from './env.ts';
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

  const redis = uids.get('redis');
  if (redis) problems.push(...redisDatasourceLogin(redis, grafana).problems);

  const plugins = installedPlugins(grafana);
  for (const datasource of datasources) {
    const type = str(datasource['type']) ?? '';
    if (!BUILT_IN_TYPES.has(type) && !plugins.has(type))
      problems.push(`datasource ${str(datasource['uid'])}: type ${type} is a plugin the grafana service does not install`);
  }
  return problems;
}

/** Who Grafana's Redis datasource logs in as, and the problems with how it says so. */
export interface RedisLogin {
  readonly user: string | undefined;
  /** The password Grafana gets: `secureJsonData.password` with the variables filled in from its environment. */
  readonly password: string | undefined;
  readonly problems: string[];
}

/**
 * The Redis datasource logs in as an ACL user (`jsonData.acl`, `jsonData.user`) with a password that only a variable
 * of the grafana service's environment holds (`secureJsonData.password: $VARIABLE`, which Grafana interpolates in
 * provisioning files), never one written in the file. Without a user it is `default`, which may only PING.
 */
export function redisDatasourceLogin(datasource: Dict, grafana: Dict): RedisLogin {
  const problems: string[] = [];
  const jsonData = dict(datasource['jsonData']);
  const user = str(jsonData['user']);
  if (jsonData['acl'] !== true) problems.push('datasource redis: jsonData.acl must be true (log in as an ACL user)');
  if (!user) problems.push('datasource redis: no jsonData.user (it would log in as default, which may only PING)');
  const secret = str(dict(datasource['secureJsonData'])['password']);
  if (!secret) {
    problems.push('datasource redis: no secureJsonData.password');
    return { user, password: undefined, problems };
  }
  const variables = [...secret.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] as string);
  if (variables.length === 0)
    problems.push('datasource redis: secureJsonData.password is written in the file; give it as $VARIABLE');
  const environment = Object.fromEntries(
    Object.entries(dict(grafana['environment'])).map(([name, value]) => [name, str(value) ?? String(value)]),
  );
  for (const variable of variables)
    if (!(variable in environment))
      problems.push(`datasource redis: the grafana service does not set ${variable} (secureJsonData.password)`);
  const missing = new Set<string>();
  const password = interpolate(secret, environment, missing);
  return { user, password: missing.size === 0 && password !== '' ? password : undefined, problems };
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
