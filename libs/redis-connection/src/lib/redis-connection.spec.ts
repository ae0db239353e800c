import { RedisClusterProcess, RedisServerProcess } from '@popup-store/redis-process';
import { Cluster, Redis } from 'ioredis';
import { connectRedis, ownConnection, type RedisConnection } from './redis-connection';

const user = { username: 'svc', password: 'p@ss:word' };
const asUrl = (port: number, password = user.password) => `redis://${user.username}:${encodeURIComponent(password)}@127.0.0.1:${port}`;

async function closeAll(connections: RedisConnection[]): Promise<void> {
  await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
}

describe('connectRedis on one Redis', () => {
  let server: RedisServerProcess;
  const open: RedisConnection[] = [];

  beforeAll(async () => {
    server = await RedisServerProcess.start({
      extraArgs: ['--user', user.username, 'on', `>${user.password}`, '~*', '&*', '+@all', '--user', 'default', 'off'],
      auth: user,
    });
  });
  afterAll(async () => {
    await closeAll(open);
    await server.dispose();
  });

  it('connects to REDIS_URL as its user, and names the connection', async () => {
    const redis = connectRedis({ REDIS_URL: asUrl(server.port) }, { name: 'intake' });
    open.push(redis);
    expect(redis).toBeInstanceOf(Redis);
    expect(await redis.call('ACL', 'WHOAMI')).toBe('svc');
    expect(await redis.client('GETNAME')).toBe('intake');
  });

  it('gives a blocking read a connection of its own, with the same user', async () => {
    const redis = connectRedis({ REDIS_URL: asUrl(server.port) });
    const blocking = ownConnection(redis, { name: 'reader' });
    open.push(redis, blocking);
    const read = blocking.xread('BLOCK', 5000, 'STREAMS', 'own:stream', '0');
    await redis.xadd('own:stream', '*', 'k', 'v');
    expect(await read).toEqual([['own:stream', [[expect.any(String), ['k', 'v']]]]]);
    expect(await blocking.client('GETNAME')).toBe('reader');
  });
});

describe('connectRedis on a Redis Cluster', () => {
  let cluster: RedisClusterProcess;
  const open: RedisConnection[] = [];

  beforeAll(async () => {
    cluster = await RedisClusterProcess.start({ replicasPerMaster: 0, user });
  }, 30_000);
  afterAll(async () => {
    await closeAll(open);
    await cluster.dispose();
  });

  it('switches to a Cluster client on REDIS_CLUSTER_NODES, with the user of REDIS_URL on every node', async () => {
    const [seed] = cluster.ports;
    const redis = connectRedis({
      REDIS_URL: asUrl(1),
      REDIS_CLUSTER_NODES: { nodes: [{ host: '127.0.0.1', port: seed as number }] },
    });
    open.push(redis);
    expect(redis).toBeInstanceOf(Cluster);
    // Keys on every master: the client follows MOVED to nodes it was not given, authenticating on each.
    const keys = Array.from({ length: 30 }, (_, i) => `{sale:s${i}}:state`);
    for (const key of keys) await redis.set(key, key);
    expect(await Promise.all(keys.map((key) => redis.get(key)))).toEqual(keys);
    const slots = await Promise.all(keys.map(async (key) => Number(await redis.call('CLUSTER', 'KEYSLOT', key))));
    const masters = (await cluster.topology()).filter((node) => node.role === 'master');
    const owners = new Set(slots.map((slot) => masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b))?.port));
    expect(owners).toEqual(new Set(masters.map((m) => m.port)));
    expect(owners.size).toBe(3);
    const whoami = await Promise.all((redis as Cluster).nodes('master').map((node) => node.call('ACL', 'WHOAMI')));
    expect(whoami).toEqual(['svc', 'svc', 'svc']);
  });

  it('takes the URL form with its own user, and refuses a wrong password', async () => {
    const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
    const good = connectRedis({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: { nodes, url: { tls: false, ...user } } });
    const bad = connectRedis(
      { REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: { nodes, url: { tls: false, username: 'svc', password: 'wrong' } } },
      { cluster: { clusterRetryStrategy: () => null } },
    );
    const nodeErrors: string[] = [];
    bad.on('error', () => undefined);
    bad.on('node error', (error: Error) => nodeErrors.push(error.message));
    open.push(good, bad);
    expect(await good.set('{sale:url}:k', 'v')).toBe('OK');
    await expect(bad.set('{sale:url}:k', 'v')).rejects.toThrow();
    expect(nodeErrors.join('\n')).toMatch(/WRONGPASS/);
  });

  it('gives a blocking read its own cluster client, so other commands to that node do not wait behind it', async () => {
    const redis = connectRedis({ REDIS_URL: asUrl(1), REDIS_CLUSTER_NODES: { nodes: [{ host: '127.0.0.1', port: cluster.ports[0] as number }] } });
    const blocking = ownConnection(redis);
    open.push(redis, blocking);
    expect(blocking).toBeInstanceOf(Cluster);
    const stream = '{sale:own}:orders';
    const read = blocking.xread('BLOCK', 5000, 'STREAMS', stream, '0');
    expect(await redis.set('{sale:own}:state', 'x')).toBe('OK');
    await redis.xadd(stream, '*', 'k', 'v');
    expect(await read).toEqual([[stream, [[expect.any(String), ['k', 'v']]]]]);
  });

  it('catches the ASKING rejection ioredis leaves unhandled when the connection to an ASK target closes', async () => {
    // What ioredis does on ASK (cluster/index.js): `redis.asking()` on the target's connection, its promise
    // dropped. On a plain ioredis Cluster this very test fails: jest reports the unhandled "Connection is closed.".
    const nodes = [{ host: '127.0.0.1', port: cluster.ports[0] as number }];
    const guarded = connectRedis({ REDIS_URL: asUrl(1), REDIS_CLUSTER_NODES: { nodes } }) as Cluster;
    guarded.on('error', () => undefined);
    open.push(guarded);
    await guarded.set('{sale:asking}:k', 'v');
    const [node] = guarded.nodes('master') as [Redis];
    node.disconnect();
    node.asking();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(node.ping()).rejects.toThrow(/Connection is closed/);
  });
});
