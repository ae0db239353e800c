import { ConfigError, readEnv } from './read-env';
import { redisEnv, redisTarget } from './redis-env';

const target = (env: NodeJS.ProcessEnv) => redisTarget(readEnv(redisEnv, env));

describe('REDIS_CLUSTER_NODES', () => {
  it('is unset by default: one Redis at REDIS_URL', () => {
    expect(target({})).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379' });
    expect(target({ REDIS_URL: 'rediss://svc:pw@redis:6380', REDIS_CLUSTER_NODES: '' })).toEqual({
      mode: 'standalone',
      url: 'rediss://svc:pw@redis:6380',
    });
  });

  it('takes user, password and TLS from REDIS_URL in the bare host:port form', () => {
    expect(
      target({ REDIS_URL: 'rediss://order-generation:p%40ss@ignored:6379', REDIS_CLUSTER_NODES: 'r1:7000, 10.0.0.2:7001,[::1]:7002' }),
    ).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: true,
      username: 'order-generation',
      password: 'p@ss',
    });
    expect(target({ REDIS_CLUSTER_NODES: 'r1:7000' })).toEqual({ mode: 'cluster', nodes: [{ host: 'r1', port: 7000 }], tls: false });
  });

  it('takes them from the URL form when it is used, whatever REDIS_URL says', () => {
    expect(target({ REDIS_URL: 'rediss://a:b@x:1', REDIS_CLUSTER_NODES: 'redis://auditor:s%3Acret@r1:7000,r2:7000' })).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7000 },
      ],
      tls: false,
      username: 'auditor',
      password: 's:cret',
    });
    expect(target({ REDIS_CLUSTER_NODES: 'rediss://:only-password@r1:7000' })).toMatchObject({ tls: true, password: 'only-password' });
  });

  it.each([
    ['r1', /expected host:port, got "r1"/],
    ['r1:7000,,r2:7000', /no empty entry/],
    ['r1:0', /port out of range/],
    ['r1:70000', /port out of range/],
    ['http://r1:7000', /expected host:port/],
    ['redis://r1:7000/0', /no path/],
    ['r_1!:7000', /bad host/],
    ['r1:7000,r1:7000', /listed twice/],
  ])('fails at boot on %s, naming the variable', (value, reason) => {
    const attempt = () => readEnv(redisEnv, { REDIS_CLUSTER_NODES: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`REDIS_CLUSTER_NODES: .*${reason.source}`));
  });
});
