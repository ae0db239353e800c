import { metricsConfig } from './metrics-config';

describe('metricsConfig', () => {
  it('works with no variable set, keeping an hour of points per series', () => {
    expect(metricsConfig({})).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      SALE_ID: 'popup',
      METRICS_INTERVAL_MS: 1000,
      METRICS_PORT: 9464,
      METRICS_HOST: '127.0.0.1',
      TS_RETENTION_MS: 3_600_000,
      TS_FALLBACK_MAXLEN: 3600,
    });
    expect(metricsConfig({ METRICS_INTERVAL_MS: '250', TS_RETENTION_MS: '60000' }).TS_FALLBACK_MAXLEN).toBe(240);
  });

  it('fails at boot naming each bad variable', () => {
    expect(() => metricsConfig({ METRICS_PORT: '0', METRICS_INTERVAL_MS: 'soon', TS_FALLBACK_MAXLEN: '-1' })).toThrow(
      /METRICS_INTERVAL_MS[\s\S]*METRICS_PORT[\s\S]*TS_FALLBACK_MAXLEN/,
    );
  });
});
