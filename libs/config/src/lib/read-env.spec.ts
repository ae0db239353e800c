import { commonEnv, port, positiveInt } from './common-env';
import { ConfigError, readEnv } from './read-env';

describe('readEnv', () => {
  it('gives working defaults for an empty environment', () => {
    expect(readEnv(commonEnv, {})).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      SALE_ID: 'popup',
      LOG_LEVEL: 'info',
    });
  });

  it('reads and coerces what is set, treating empty as unset', () => {
    const env = { REDIS_URL: 'rediss://svc:secret@redis.internal:6380', PORT: '8080', BATCH: '' };
    expect(readEnv({ REDIS_URL: commonEnv.REDIS_URL, PORT: port(3000), BATCH: positiveInt(100) }, env)).toEqual({
      REDIS_URL: 'rediss://svc:secret@redis.internal:6380',
      PORT: 8080,
      BATCH: 100,
    });
  });

  it('fails at boot naming every bad variable', () => {
    const attempt = () =>
      readEnv({ ...commonEnv, PORT: port(3000) }, { REDIS_URL: 'http://x', PORT: '99999', SALE_ID: 'a b' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/REDIS_URL: must be a redis/);
      expect(problems).toMatch(/PORT:/);
      expect(problems).toMatch(/SALE_ID:/);
    }
  });
});
