import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { parse } from 'yaml';
import { type Env, interpolateDeep, parseDotEnv } from './env.ts';
import { type Dict, dict, isDict, list, str, strings } from './json.ts';
import { COMPOSE_FILES, DEPLOY, ENV_FILE, type Workspace } from './workspace.ts';

/** A compose file as Compose sees it: YAML with merge keys, variables interpolated from deploy/.env. */
export interface ComposeFile {
  path: string;
  raw: Dict;
  model: Dict;
}

export interface Stack {
  env: Env;
  files: ComposeFile[];
  /** The files merged in order, as `docker compose -f a -f b` does. */
  model: Dict;
  /** Variables used with neither a value in .env nor a default. */
  missing: string[];
}

export function parseYaml(text: string, source: string): Dict {
  const value: unknown = parse(text, { merge: true, prettyErrors: true });
  if (!isDict(value)) throw new Error(`${source}: not a YAML mapping`);
  return value;
}

export function loadStack(ws: Workspace, paths: string[] = COMPOSE_FILES): Stack {
  const env = parseDotEnv(ws.read(ENV_FILE));
  const missing = new Set<string>();
  const files = paths.map((path) => {
    const raw = parseYaml(ws.read(path), path);
    return { path, raw, model: interpolateDeep(raw, env, missing) };
  });
  const model = files.map((file) => file.model).reduce((base, overlay) => mergeCompose(base, overlay), {});
  return { env, files, model, missing: [...missing] };
}

// Merging follows https://docs.docker.com/reference/compose-file/merge/ where this stack needs it.

const REPLACED = new Set(['command', 'entrypoint', 'test']);
const BY_TARGET = new Set(['volumes', 'ports', 'expose', 'secrets', 'configs', 'tmpfs', 'dns', 'cap_add', 'cap_drop']);

function normalizeDependsOn(value: unknown): Dict {
  if (Array.isArray(value)) return Object.fromEntries(strings(value).map((name) => [name, { condition: 'service_started' }]));
  return dict(value);
}

function normalizeListOrDict(value: unknown): Dict {
  if (!Array.isArray(value)) return dict(value);
  return Object.fromEntries(
    strings(value).map((entry) => {
      const at = entry.indexOf('=');
      return at < 0 ? [entry, null] : [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

function mergeValue(key: string, base: unknown, overlay: unknown): unknown {
  if (overlay === undefined) return base;
  if (base === undefined || REPLACED.has(key)) return overlay;
  if (key === 'depends_on') return mergeDicts(normalizeDependsOn(base), normalizeDependsOn(overlay));
  if (key === 'environment' || key === 'labels') return mergeDicts(normalizeListOrDict(base), normalizeListOrDict(overlay));
  if (Array.isArray(base) && Array.isArray(overlay)) {
    const merged = [...base, ...overlay];
    return BY_TARGET.has(key) ? [...new Map(merged.map((item) => [JSON.stringify(item), item])).values()] : merged;
  }
  if (isDict(base) && isDict(overlay)) return mergeDicts(base, overlay);
  return overlay;
}

function mergeDicts(base: Dict, overlay: Dict): Dict {
  const out: Dict = { ...base };
  for (const [key, value] of Object.entries(overlay)) out[key] = mergeValue(key, base[key], value);
  return out;
}

export function mergeCompose(base: Dict, overlay: Dict): Dict {
  return mergeDicts(base, overlay);
}


/**
 * The Compose Specification JSON schema (compose-spec/compose-spec, schema/compose-spec.json), as shipped by
 * the npm package dclint (MIT), which validates compose files with it. Read from the installed package, so it
 * moves with `npm update dclint`.
 */
export function composeSchema(ws: Workspace): { schema: Dict; source: string } {
  const require = createRequire(join(ws.root, 'package.json'));
  const packageJson = require.resolve('dclint/package.json');
  const source = join(dirname(packageJson), 'schemas', 'compose.schema.json');
  return { schema: JSON.parse(readFileSync(source, 'utf8')) as Dict, source };
}

export function schemaValidator(ws: Workspace): (model: Dict) => string[] {
  const { schema, source } = composeSchema(ws);
  // Draft-07, Ajv's default draft; its $schema (https, no #) is not the id Ajv knows draft-07 by.
  const { $schema, ...body } = schema;
  if (!String($schema).includes('draft-07')) throw new Error(`${source}: expected a draft-07 schema, got ${String($schema)}`);
  // Strict mode would reject the schema's own annotations (e.g. `deprecated`); it uses union types.
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  const validate = ajv.compile(body);
  return (model) =>
    validate(model)
      ? []
      : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} (${error.schemaPath})`);
}


export interface Volume {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
  readOnly: boolean;
}

export function parseVolume(entry: unknown): Volume {
  if (isDict(entry)) {
    const type = (str(entry['type']) ?? 'volume') as Volume['type'];
    return { type, source: str(entry['source']), target: str(entry['target']) ?? '', readOnly: entry['read_only'] === true };
  }
  const parts = (str(entry) ?? '').split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0], readOnly: false };
  const [source, target, mode = ''] = parts;
  const bind = /^[./~]/.test(source);
  return { type: bind ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
}

export interface Port {
  hostIp?: string;
  published?: string;
  target: string;
}

export function parsePort(entry: unknown): Port {
  if (isDict(entry)) {
    return { hostIp: str(entry['host_ip']), published: str(entry['published']), target: str(entry['target']) ?? '' };
  }
  const spec = (str(entry) ?? '').replace(/\/(tcp|udp)$/, '');
  const parts = spec.split(':');
  if (parts.length === 1) return { target: parts[0] };
  if (parts.length === 2) return { published: parts[0], target: parts[1] };
  return { hostIp: parts.slice(0, -2).join(':'), published: parts[parts.length - 2], target: parts[parts.length - 1] };
}

export function services(model: Dict): [string, Dict][] {
  return Object.entries(dict(model['services'])).map(([name, service]) => [name, dict(service)]);
}

/** The repository path (relative to the workspace root) of a path in a compose file. */
export function composePath(path: string): string {
  return posix.normalize(posix.join(DEPLOY, path));
}

/** The Dockerfile a service is built from, relative to the workspace root, if it is built here. */
export function dockerfileOf(service: Dict): string | undefined {
  const build = service['build'];
  if (build === undefined) return undefined;
  const context = composePath(isDict(build) ? (str(build['context']) ?? '.') : (str(build) ?? '.'));
  const dockerfile = isDict(build) ? (str(build['dockerfile']) ?? 'Dockerfile') : 'Dockerfile';
  return posix.normalize(posix.join(context, dockerfile));
}

/** The repository path a container path of a service comes from, through its read-only bind mounts. */
export function repoPathOf(service: Dict, containerPath: string): string | undefined {
  for (const entry of list(service['volumes'])) {
    const volume = parseVolume(entry);
    if (volume.type !== 'bind' || !volume.source) continue;
    const target = volume.target.replace(/\/$/, '');
    if (containerPath === target || containerPath.startsWith(`${target}/`))
      return composePath(volume.source + containerPath.slice(target.length));
  }
  return undefined;
}

export interface ReferenceOptions {
  /** Whether the image of a service has a HEALTHCHECK of its own (its Dockerfile's). */
  imageHasHealthcheck: (service: string) => boolean;
}

export function checkReferences(ws: Workspace, model: Dict, options: ReferenceOptions): string[] {
  const problems: string[] = [];
  const all = services(model);
  const names = new Set(all.map(([name]) => name));
  const declaredVolumes = new Set(Object.keys(dict(model['volumes'])));
  const declaredNetworks = new Set(['default', ...Object.keys(dict(model['networks']))]);
  const usedVolumes = new Set<string>();
  const published = new Map<string, string>();

  for (const [name, service] of all) {
    const at = `services.${name}`;
    if (service['image'] === undefined && service['build'] === undefined) problems.push(`${at}: neither image nor build`);

    const build = service['build'];
    if (build !== undefined) {
      const context = composePath(isDict(build) ? (str(build['context']) ?? '.') : (str(build) ?? '.'));
      if (!ws.isDirectory(context)) problems.push(`${at}.build.context: ${context} is not a folder`);
      const dockerfile = dockerfileOf(service) as string;
      if (!ws.isFile(dockerfile)) problems.push(`${at}.build.dockerfile: ${dockerfile} does not exist`);
      else if (!ws.isFile(`${dockerfile}.dockerignore`))
        problems.push(`${at}.build: no ${dockerfile}.dockerignore beside the Dockerfile (the context would be the whole repo)`);
    }

    for (const [dependency, spec] of Object.entries(normalizeDependsOn(service['depends_on']))) {
      if (!names.has(dependency)) {
        problems.push(`${at}.depends_on: ${dependency} is not a service`);
        continue;
      }
      const condition = str(dict(spec)['condition']);
      const target = dict(dict(model['services'])[dependency]);
      if (condition === 'service_healthy' && target['healthcheck'] === undefined && !options.imageHasHealthcheck(dependency))
        problems.push(`${at}.depends_on: waits for ${dependency} to be healthy, but ${dependency} has no health check`);
      if (condition === 'service_completed_successfully' && !['no', undefined].includes(str(target['restart'])))
        problems.push(`${at}.depends_on: waits for ${dependency} to complete, but ${dependency} restarts`);
    }

    for (const entry of list(service['volumes'])) {
      const volume = parseVolume(entry);
      if (volume.type === 'bind' && volume.source) {
        const source = composePath(volume.source);
        if (!ws.exists(source)) problems.push(`${at}.volumes: bind source ${source} does not exist in the repository`);
        if (!volume.readOnly) problems.push(`${at}.volumes: bind mount of ${source} should be read-only`);
      } else if (volume.type === 'volume' && volume.source) {
        usedVolumes.add(volume.source);
        if (!declaredVolumes.has(volume.source)) problems.push(`${at}.volumes: named volume ${volume.source} is not declared`);
      }
    }

    for (const file of [service['env_file']].flat().filter((item) => item !== undefined)) {
      const path = str(isDict(file) ? file['path'] : file);
      if (path && !ws.isFile(composePath(path))) problems.push(`${at}.env_file: ${composePath(path)} does not exist`);
    }

    const networks = Array.isArray(service['networks']) ? strings(service['networks']) : Object.keys(dict(service['networks']));
    for (const network of networks)
      if (!declaredNetworks.has(network)) problems.push(`${at}.networks: ${network} is not declared`);

    for (const kind of ['configs', 'secrets'] as const) {
      const declared = dict(model[kind]);
      for (const entry of list(service[kind])) {
        const source = str(isDict(entry) ? entry['source'] : entry);
        if (source && !(source in declared)) problems.push(`${at}.${kind}: ${source} is not declared`);
      }
    }

    for (const entry of list(service['ports'])) {
      const port = parsePort(entry);
      if (!/^\d+(-\d+)?$/.test(port.target)) problems.push(`${at}.ports: container port ${port.target} is not a number`);
      if (port.published) {
        const key = `${port.hostIp ?? '0.0.0.0'}:${port.published}`;
        const other = published.get(key);
        if (other) problems.push(`${at}.ports: host port ${key} is also published by ${other}`);
        published.set(key, name);
      }
    }
  }

  for (const kind of ['configs', 'secrets'] as const) {
    for (const [name, spec] of Object.entries(dict(model[kind]))) {
      const file = str(dict(spec)['file']);
      if (file && !ws.isFile(composePath(file))) problems.push(`${kind}.${name}: ${composePath(file)} does not exist`);
    }
  }
  for (const volume of declaredVolumes)
    if (!usedVolumes.has(volume)) problems.push(`volumes.${volume}: declared but no service mounts it`);

  return problems;
}
