import { parseVolume, repoPathOf } from './compose.ts';
import { type Dict, list, str, strings } from './json.ts';
import type { Workspace } from './workspace.ts';

/** `directive value...` lines of a redis.conf; the last one wins, as in Redis. */
export function parseRedisConf(text: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name, ...value] = line.split(/\s+/);
    directives.set(name.toLowerCase(), value.join(' '));
  }
  return directives;
}

/**
 * Redis 8 (TimeSeries built in), durable (AOF, fsync every second, never evicting), started with the
 * repository's redis.conf, its data on a named volume, with a health check the services wait for; an
 * aclfile, once there is one, comes from the repository too.
 */
export function checkRedis(ws: Workspace, redis: Dict, conf: Map<string, string>, confPath: string): string[] {
  const problems: string[] = [];
  const image = str(redis['image']) ?? '';
  if (!/^redis:8\.\d+\.\d+/.test(image)) problems.push(`redis: image ${image} is not an exact Redis 8 version (redis:8.x.y)`);
  if (conf.get('appendonly') !== 'yes') problems.push(`${confPath}: appendonly must be yes`);
  if (conf.get('appendfsync') !== 'always') problems.push(`${confPath}: appendfsync must be always`);
  if (conf.get('maxmemory-policy') !== 'noeviction') problems.push(`${confPath}: maxmemory-policy must be noeviction`);
  if (redis['healthcheck'] === undefined) problems.push('redis: no healthcheck');

  const data = list(redis['volumes'])
    .map(parseVolume)
    .find((volume) => volume.target === (conf.get('dir') ?? '/data'));
  if (!data || data.type !== 'volume' || !data.source) problems.push('redis: its data dir is not on a named volume');

  const loaded = strings(redis['command']).find((word) => word.endsWith('.conf'));
  const source = loaded ? repoPathOf(redis, loaded) : undefined;
  if (source !== confPath) problems.push(`redis: starts with ${loaded ?? 'no config file'}, which is not ${confPath} mounted`);
  const aclfile = conf.get('aclfile');
  if (aclfile) {
    const acl = repoPathOf(redis, aclfile);
    if (!acl || !ws.isFile(acl)) problems.push(`redis: aclfile ${aclfile} is not a file of the repository mounted in the container`);
  }
  return problems;
}
