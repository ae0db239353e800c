import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { loadGears, redisNow, SaleGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../app/app.module';
import { intakeConfig } from '../app/intake-config';
import { testIdentity } from '../test/test-identity';

describe('GET /api/sale/events', () => {
  let redis: TestRedis;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    redis = await startTestRedis();
    await loadGears(redis.client());
  });
  afterAll(async () => {
    await app?.close();
    await redis.dispose();
  });

  it('pushes the sale at connect, then each change of phase, stock or window', async () => {
    const sale = saleKeys(`${redis.namespace}-sse`);
    const config = intakeConfig({
      REDIS_URL: redis.url,
      SALE_ID: sale.saleId,
      LOG_LEVEL: 'silent',
      ...(await testIdentity()).env,
      STATUS_REFRESH_MS: '20',
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    app.setGlobalPrefix('api', { exclude: ['health/live', 'health/ready'] });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;

    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/api/sale/events`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const events: { phase: string; left: number; window: { startsAt: number | null } }[] = [];
    let buffered = '';
    const next = async () => {
      while (!buffered.includes('\n\n')) buffered += new TextDecoder().decode((await reader.read()).value);
      const [event, rest] = [buffered.slice(0, buffered.indexOf('\n\n')), buffered.slice(buffered.indexOf('\n\n') + 2)];
      buffered = rest;
      expect(event).toContain('event: sale');
      events.push(
        JSON.parse(
          event
            .split('\n')
            .find((line) => line.startsWith('data: '))
            ?.slice(6) ?? '{}',
        ),
      );
    };

    await next();
    expect(events[0]).toMatchObject({ phase: 'unconfigured' });
    const gears = new SaleGears(redis.client(), sale);
    const now = await redisNow(redis.client());
    await gears.configure({ stock: 4, startsAt: now + 60_000, endsAt: now + 120_000 });
    await next();
    expect(events[1]).toMatchObject({ phase: 'scheduled', left: 4, window: { startsAt: now + 60_000 } });
    // The opening moved: the phase and the stock stay, the pages counting down must hear of it.
    await gears.configure({ stock: 4, startsAt: now + 30_000, endsAt: now + 120_000 });
    await next();
    expect(events[2]).toMatchObject({ phase: 'scheduled', window: { startsAt: now + 30_000 } });
    await gears.configure({ stock: 4, startsAt: now - 1000, endsAt: now + 120_000 });
    await next();
    expect(events[3]).toMatchObject({ phase: 'open', left: 4 });
    await gears.setState('closed');
    await next();
    expect(events[4]).toMatchObject({ phase: 'closed' });
    abort.abort();
  });
});
