import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { FulfilmentTrigger, loadGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { AppModule } from '../app/app.module';
import { intakeHttpAdapter } from '../app/http-adapter';
import { intakeConfig } from '../app/intake-config';
import { testIdentity } from '../test/test-identity';

const TOKEN = 'operator-secret-0123456789';

describe('operator endpoints', () => {
  let redis: TestRedis;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    redis = await startTestRedis();
    await loadGears(redis.client());
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => redis.dispose());

  async function start(env: Record<string, string>, sale: string): Promise<NestFastifyApplication> {
    const config = intakeConfig({
      REDIS_URL: redis.url,
      SALE_ID: `${redis.namespace}-${sale}`,
      LOG_LEVEL: 'silent',
      ...(await testIdentity()).env,
      ...env,
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(intakeHttpAdapter(config), { logger: false });
    app.setGlobalPrefix('api', { exclude: ['health/live', 'health/ready'] });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }

  const put = (running: NestFastifyApplication, url: string, body: unknown, token?: string) =>
    running.inject({
      method: 'PUT',
      url,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      payload: JSON.stringify(body),
    });

  it('are off without ADMIN_TOKEN, and refuse a wrong token', async () => {
    const off = await start({}, 'off');
    expect((await put(off, '/api/admin/sale', { units: 5 }, TOKEN)).json()).toMatchObject({
      statusCode: 403,
      reason: 'admin_disabled',
    });
    await off.close();
    const on = await start({ ADMIN_TOKEN: TOKEN }, 'wrong');
    expect((await put(on, '/api/admin/sale', { units: 5 })).statusCode).toBe(401);
    expect((await put(on, '/api/admin/sale', { units: 5 }, `${TOKEN}x`)).json()).toMatchObject({
      statusCode: 401,
      reason: 'unauthorized',
    });
  });

  it('talk to Redis as ADMIN_REDIS_URL when set, not over the order path’s connection', async () => {
    // Another database of the same Redis stands for another user: what the endpoints write lands there.
    const adminUrl = new URL(redis.url);
    adminUrl.pathname = '/1';
    const running = await start({ ADMIN_TOKEN: TOKEN, ADMIN_REDIS_URL: adminUrl.toString() }, 'split');
    expect((await put(running, '/api/admin/sale', { units: 3 }, TOKEN)).json()).toMatchObject({ status: { stock: 3 } });
    const sale = saleKeys(`${redis.namespace}-split`);
    const admin = redis.client({ db: 1 });
    expect(await admin.hget(sale.state, 'stock')).toBe('3');
    expect(await redis.client().exists(sale.state)).toBe(0);
  });

  it('configure the sale, close and reopen it, and refuse to reset a sale that sold without force', async () => {
    const running = await start({ ADMIN_TOKEN: TOKEN }, 'ops');
    const configured = await put(running, '/api/admin/sale', { units: 3, durationSeconds: 60 }, TOKEN);
    expect(configured.statusCode).toBe(200);
    expect(configured.json()).toMatchObject({ soldBefore: 0, status: { phase: 'open', stock: 3, left: 3 } });
    expect((await put(running, '/api/admin/sale/state', { state: 'closed' }, TOKEN)).json()).toMatchObject({
      previous: 'open',
      status: { phase: 'closed' },
    });
    expect((await put(running, '/api/admin/sale/state', { state: 'shut' }, TOKEN)).json()).toMatchObject({
      statusCode: 400,
      field: 'state',
    });
    expect((await put(running, '/api/admin/sale', { units: -1 }, TOKEN)).json()).toMatchObject({
      statusCode: 400,
      field: 'units',
    });
    expect((await put(running, '/api/admin/sale', { units: 1, endsAt: 5, durationSeconds: 5 }, TOKEN)).statusCode).toBe(
      400,
    );
    // A window that ends before now, where the start is left to now.
    expect((await put(running, '/api/admin/sale', { units: 1, endsAt: 5 }, TOKEN)).json()).toMatchObject({
      statusCode: 400,
      reason: 'invalid',
      field: 'endsAt',
    });

    await put(running, '/api/admin/sale/state', { state: 'open' }, TOKEN);
    const sale = saleKeys(`${redis.namespace}-ops`);
    const client = redis.client();
    const order = {
      orderId: 'o1',
      customerId: 'c1',
      submittedAt: Date.now(),
      orderedAt: Date.now(),
      customerEntryId: '1-0',
    };
    await client.xadd(sale.orders, '*', 'v', '1', 'data', JSON.stringify(order));
    const trigger = new FulfilmentTrigger({ redis: client, sale, consumer: 'test' });
    await trigger.ensureGroup();
    expect((await trigger.poll()).decided).toHaveLength(1);
    expect((await put(running, '/api/admin/sale', { units: 3 }, TOKEN)).json()).toMatchObject({
      statusCode: 409,
      reason: 'sale_started',
    });
    expect((await put(running, '/api/admin/sale', { units: 3, force: true }, TOKEN)).json()).toMatchObject({
      soldBefore: 1,
      status: { left: 3 },
    });
  });
});
