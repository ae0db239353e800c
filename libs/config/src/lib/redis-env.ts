import { z } from 'zod';

/** Where Redis is: `redis://`, `rediss://` (TLS), with user and password for ACL users. */
export const redisUrl = z
  .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
  .default('redis://127.0.0.1:6379');

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** What `REDIS_CLUSTER_NODES` says: seed nodes, and the URL form's own scheme and credentials when it has them. */
export interface ClusterNodesSetting {
  readonly nodes: readonly HostPort[];
  /** Set by the URL form (`redis://` or `rediss://`); the bare form takes these from `REDIS_URL`. */
  readonly url?: { readonly tls: boolean; readonly username?: string; readonly password?: string };
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function parseHostPort(text: string): HostPort | string {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  if (!match) return `expected host:port, got ${JSON.stringify(text)}`;
  const [, rawHost = '', rawPort = ''] = match;
  const port = Number(rawPort);
  if (port < 1 || port > 65535) return `port out of range in ${JSON.stringify(text)}`;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (!rawHost.startsWith('[') && !HOSTNAME.test(host)) return `bad host in ${JSON.stringify(text)}`;
  return { host, port };
}

/** Parses either form of `REDIS_CLUSTER_NODES`; a string is the reason it is wrong. */
export function parseRedisClusterNodes(value: string): ClusterNodesSetting | string {
  let list = value.trim();
  let url: ClusterNodesSetting['url'];
  const scheme = /^(rediss?):\/\//.exec(list);
  if (scheme) {
    list = list.slice(scheme[0].length);
    const at = list.lastIndexOf('@');
    const userinfo = at >= 0 ? list.slice(0, at) : '';
    list = at >= 0 ? list.slice(at + 1) : list;
    if (/[/?#]/.test(list)) return 'the URL form takes no path, query or fragment: redis://[user:password@]host:port,host:port';
    const [user = '', ...rest] = userinfo.split(':');
    const password = rest.join(':');
    try {
      url = {
        tls: scheme[1] === 'rediss',
        ...(user ? { username: decodeURIComponent(user) } : {}),
        ...(password ? { password: decodeURIComponent(password) } : {}),
      };
    } catch {
      return 'user or password is not valid percent-encoding';
    }
  }
  const parts = list.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === '')) return 'expected host:port,host:port,... with no empty entry';
  const nodes: HostPort[] = [];
  for (const part of parts) {
    const node = parseHostPort(part);
    if (typeof node === 'string') return node;
    if (nodes.some((seen) => seen.host === node.host && seen.port === node.port)) return `${part} is listed twice`;
    nodes.push(node);
  }
  return url ? { nodes, url } : { nodes };
}

/**
 * Redis Cluster seed nodes: `host:port,host:port,...` (user, password and TLS from `REDIS_URL`), or the URL form
 * `redis[s]://[user:password@]host:port,host:port,...` carrying its own. Unset: a single Redis at `REDIS_URL`.
 */
export const redisClusterNodes = z
  .string()
  .transform((value, context) => {
    const parsed = parseRedisClusterNodes(value);
    if (typeof parsed !== 'string') return parsed;
    context.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  })
  .optional();

/** The variables that say where Redis is. */
export const redisEnv = {
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: redisClusterNodes,
};

export interface RedisEnv {
  readonly REDIS_URL: string;
  readonly REDIS_CLUSTER_NODES?: ClusterNodesSetting;
}

/** Where a process's Redis connections go: one Redis, or a cluster reached through its seed nodes. */
export type RedisTarget =
  | { readonly mode: 'standalone'; readonly url: string }
  | {
      readonly mode: 'cluster';
      readonly nodes: readonly HostPort[];
      readonly tls: boolean;
      readonly username?: string;
      readonly password?: string;
    };

/** Resolves the variables into one target: `REDIS_CLUSTER_NODES` wins when set, with its URL form's credentials or `REDIS_URL`'s. */
export function redisTarget(env: RedisEnv): RedisTarget {
  const cluster = env.REDIS_CLUSTER_NODES;
  if (!cluster) return { mode: 'standalone', url: env.REDIS_URL };
  const fromUrl = new URL(env.REDIS_URL);
  const credentials = cluster.url ?? {
    tls: fromUrl.protocol === 'rediss:',
    ...(fromUrl.username ? { username: decodeURIComponent(fromUrl.username) } : {}),
    ...(fromUrl.password ? { password: decodeURIComponent(fromUrl.password) } : {}),
  };
  return { mode: 'cluster', nodes: cluster.nodes, ...credentials };
}
