import { saleKeys } from '@popup-store/keys';
import { RedisServerProcess } from '@popup-store/redis-process';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { Redis } from 'ioredis';
import { GearsErrorCode } from './gears-error';
import { POPUP_LIBRARY } from './library';
import { loadGears, loadedVersion } from './load-gears';
import { SaleGears } from './sale-gears';

describe('loadGears', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
  });
  afterAll(() => redis.dispose());

  it('loads the library once, then only when another version is asked for', async () => {
    const client = redis.client();
    await client.call('FUNCTION', 'FLUSH');
    expect(await loadedVersion(client)).toBeNull();
    await expect(loadGears(client)).resolves.toEqual({ outcome: 'loaded', version: POPUP_LIBRARY.version, previous: null });
    await expect(loadGears(client)).resolves.toMatchObject({ outcome: 'unchanged', previous: POPUP_LIBRARY.version });

    const next = { version: 'next', source: POPUP_LIBRARY.source.replace(POPUP_LIBRARY.version, 'next') };
    await expect(loadGears(client, next)).resolves.toEqual({ outcome: 'loaded', version: 'next', previous: POPUP_LIBRARY.version });
    expect(await loadedVersion(client)).toBe('next');
    await loadGears(client);
  });

  it('says which function failed and why when a popup function runs before the library is loaded', async () => {
    const client = redis.client();
    await client.call('FUNCTION', 'FLUSH');
    await expect(new SaleGears(client, saleKeys()).status()).rejects.toMatchObject({
      code: GearsErrorCode.LibraryNotLoaded,
      fn: 'popup_sale_status',
    });
    await loadGears(client);
  });
});

describe('loadGears on a Redis without Functions', () => {
  it('fails with FunctionsUnsupported, naming the Redis version it needs', async () => {
    // Redis 6 answers FUNCTION as an unknown command; a 7.0 with FUNCTION renamed away answers the same.
    const server = await RedisServerProcess.start({ extraArgs: ['--rename-command', 'FUNCTION', '""'] });
    const client = new Redis(server.url);
    try {
      const load = loadGears(client);
      await expect(load).rejects.toMatchObject({ code: GearsErrorCode.FunctionsUnsupported, fn: 'FUNCTION LOAD' });
      await expect(load).rejects.toThrow(/Redis >= 7.0 or Valkey/);
    } finally {
      client.disconnect();
      await server.dispose();
    }
  });
});
