import { RedisServerProcess } from '@popup-store/redis-process';
import { dockerEngineAvailable } from './docker-engine';
import { chooseRedisSource } from './redis-source';
import { startTestRedis, type TestRedis } from './test-redis';

describe('chooseRedisSource', () => {
  const docker = (answer: boolean) => async () => answer;

  it('prefers REDIS_URL, then a container, then a spawned redis-server', async () => {
    const url = { REDIS_URL: 'redis://elsewhere:6379' };
    expect(await chooseRedisSource({ env: url, owned: false, dockerAvailable: docker(true) })).toBe('env');
    expect(await chooseRedisSource({ env: {}, owned: false, dockerAvailable: docker(true) })).toBe('container');
    expect(await chooseRedisSource({ env: {}, owned: false, dockerAvailable: docker(false) })).toBe('spawned');
  });

  it('never hands the REDIS_URL server to a test that kills Redis', async () => {
    const env = { REDIS_URL: 'redis://elsewhere:6379' };
    expect(await chooseRedisSource({ env, owned: true, dockerAvailable: docker(false) })).toBe('spawned');
  });
});

describe('startTestRedis', () => {
  const saved = process.env['REDIS_URL'];
  let redis: TestRedis | undefined;

  afterEach(async () => {
    await redis?.dispose();
    redis = undefined;
    if (saved === undefined) delete process.env['REDIS_URL'];
    else process.env['REDIS_URL'] = saved;
  });

  it('starts a container when a Docker engine answers, else a private redis-server', async () => {
    delete process.env['REDIS_URL'];
    redis = await startTestRedis();
    expect(redis.source).toBe((await dockerEngineAvailable()) ? 'container' : 'spawned');
    expect(redis.url).not.toContain(':6379');
    const client = redis.client();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
  });

  it('uses the Redis that REDIS_URL names, and refuses to kill it', async () => {
    const other = await RedisServerProcess.start();
    try {
      process.env['REDIS_URL'] = other.url;
      redis = await startTestRedis();
      expect(redis.source).toBe('env');
      expect(redis.url).toBe(other.url);
      await redis.client().set(`${redis.namespace}:k`, 'seen');
      expect(await redis.client().get(`${redis.namespace}:k`)).toBe('seen');
      await expect(redis.kill()).rejects.toThrow(/REDIS_URL/);
    } finally {
      await redis?.dispose();
      redis = undefined;
      await other.dispose();
    }
  });

  it('kill -9 and restart from an AOF with appendfsync always keeps every write', async () => {
    redis = await startTestRedis({ appendfsync: 'always' });
    const client = redis.client({ maxRetriesPerRequest: 1 });
    for (let i = 0; i < 100; i++) await client.incr('counter');
    await redis.kill();
    await expect(client.ping()).rejects.toThrow();
    await redis.restart();
    expect(await redis.client().get('counter')).toBe('100');
  });

  it('a restart without persistence comes back empty, on the same URL', async () => {
    redis = await startTestRedis({ owned: true });
    const url = redis.url;
    await redis.client().set('k', 'v');
    await redis.stop();
    await redis.restart();
    expect(redis.url).toBe(url);
    expect(await redis.client().get('k')).toBeNull();
  });

  it('pause leaves Redis reachable but silent until resume', async () => {
    redis = await startTestRedis({ owned: true });
    const client = redis.client({ commandTimeout: 200, maxRetriesPerRequest: 0 });
    await client.ping();
    await redis.pause();
    await expect(client.ping()).rejects.toThrow(/timed out/i);
    await redis.resume();
    expect(await redis.client().ping()).toBe('PONG');
  });
});
