import { serverSettings } from './options';

describe('serverSettings', () => {
  const base = { connection: 'redis://localhost', group: 'g', streams: {} };

  it('looks for entries to reclaim every half of minIdleMs, between 100 ms and 5 s, unless told', () => {
    expect(serverSettings(base)).toMatchObject({ minIdleMs: 30_000, reclaimIntervalMs: 5000 });
    expect(serverSettings({ ...base, minIdleMs: 2000 })).toMatchObject({ minIdleMs: 2000, reclaimIntervalMs: 1000 });
    expect(serverSettings({ ...base, minIdleMs: 1 })).toMatchObject({ minIdleMs: 1, reclaimIntervalMs: 100 });
    expect(serverSettings({ ...base, minIdleMs: 1, reclaimIntervalMs: 20 }).reclaimIntervalMs).toBe(20);
  });

  it('refuses a minIdleMs that is not a positive integer', () => {
    expect(() => serverSettings({ ...base, minIdleMs: 0 })).toThrow(/minIdleMs/);
    expect(() => serverSettings({ ...base, minIdleMs: Number.NaN })).toThrow(/minIdleMs/);
  });
});
