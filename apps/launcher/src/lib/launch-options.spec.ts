import { ConfigError } from '@popup-store/config';
import { launchOptions, saleIdsOf } from './launch-options';

describe('launchOptions', () => {
  it('plays a default sale that sells out, on a private Redis', () => {
    expect(launchOptions([], {})).toEqual({
      redisUrl: undefined,
      redisClusterNodes: undefined,
      cluster: false,
      replicas: 1,
      sales: 1,
      waitingRoom: false,
      admitPerSecond: 0,
      saleId: 'popup',
      units: 10_000,
      customers: 15_000,
      rate: 2_000,
      durationMs: 600_000,
      seed: 1,
      connections: 64,
      reportFile: undefined,
    });
  });

  it('turns the waiting room on with its rate', () => {
    expect(launchOptions(['--waiting-room', '--admit-per-second', '500'], {})).toMatchObject({
      waitingRoom: true,
      admitPerSecond: 500,
    });
    expect(launchOptions([], { ADMIT_PER_SECOND: '40' }).admitPerSecond).toBe(40);
    expect(launchOptions(['--waiting-room', 'auto'], {}).waitingRoom).toBe('auto');
    expect(() => launchOptions(['--waiting-room', 'sometimes'], {})).toThrow(ConfigError);
  });

  it('plays several sales, named after --sale, ids that fit a hash tag', () => {
    expect(saleIdsOf(launchOptions([], {}))).toEqual(['popup']);
    expect(saleIdsOf(launchOptions(['--sales', '3', '--sale', 'spring'], {}))).toEqual([
      'spring-1',
      'spring-2',
      'spring-3',
    ]);
    expect(launchOptions([], { SALES: '12' }).sales).toBe(12);
    expect(() => launchOptions(['--sales', '12', '--sale', 'x'.repeat(62)], {})).toThrow(/at most 64 characters/);
    expect(() => launchOptions(['--sales', '0'], {})).toThrow(ConfigError);
  });

  it('reads durations in seconds, minutes, hours and ms', () => {
    const window = (text: string) => launchOptions(['--duration', text], {}).durationMs;
    expect(window('600')).toBe(600_000);
    expect(window('600s')).toBe(600_000);
    expect(window('10m')).toBe(600_000);
    expect(window('1.5h')).toBe(5_400_000);
    expect(window('2500ms')).toBe(2_500);
  });

  it('takes the environment, and a flag over its variable', () => {
    const env = { UNITS: '500', CUSTOMERS: '900', SALE_ID: 'spring', REDIS_URL: 'redis://cache:6380', DURATION: '30s' };
    const options = launchOptions(['--units=700', '--report', 'out.json', '--seed', '7'], {
      ...env,
      CONNECTIONS: '2000',
    });
    expect(options).toMatchObject({
      units: 700,
      customers: 900,
      saleId: 'spring',
      redisUrl: 'redis://cache:6380',
      durationMs: 30_000,
      seed: 7,
      connections: 2000,
      reportFile: 'out.json',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(launchOptions([], { REDIS_URL: '', UNITS: '' })).toMatchObject({ redisUrl: undefined, units: 10_000 });
  });

  it('names every bad flag or variable', () => {
    const attempt = () =>
      launchOptions(['--duration', 'ten minutes', '--units', '-3', '--sale', 'a}b'], {
        REDIS_URL: 'http://x',
        RATE: '0',
      });
    expect(attempt).toThrow(ConfigError);
    const problems = (() => {
      try {
        attempt();
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems).toEqual([
      expect.stringMatching(/^REDIS_URL: must be a redis/),
      expect.stringMatching(/^--sale \/ SALE_ID: /),
      expect.stringMatching(/^--units \/ UNITS: /),
      expect.stringMatching(/^--rate \/ RATE: /),
      expect.stringMatching(/^--duration \/ DURATION: a duration such as 600, 600s, 10m or 1h/),
    ]);
  });

  it('plays on a private cluster with --cluster, or on REDIS_CLUSTER_NODES, with --replicas processes of each service', () => {
    expect(launchOptions(['--cluster', '--replicas', '2'], {})).toMatchObject({ cluster: true, replicas: 2 });
    expect(launchOptions([], { REDIS_CLUSTER_NODES: 'r1:7000,r2:7000', REPLICAS: '3' })).toMatchObject({
      cluster: false,
      redisClusterNodes: 'r1:7000,r2:7000',
      replicas: 3,
    });
    expect(() => launchOptions([], { REDIS_CLUSTER_NODES: 'r1' })).toThrow(/REDIS_CLUSTER_NODES: /);
    expect(() => launchOptions(['--cluster'], { REDIS_CLUSTER_NODES: 'r1:7000' })).toThrow(/give one or the other/);
    expect(() => launchOptions(['--replicas', '0'], {})).toThrow(/--replicas \/ REPLICAS: /);
  });

  it('refuses a window under a second', () => {
    expect(() => launchOptions(['--duration', '200ms'], {})).toThrow(/--duration \/ DURATION: at least one second/);
  });
});
