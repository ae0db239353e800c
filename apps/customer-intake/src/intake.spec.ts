import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { freePort } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { AppModule } from './app/app.module';
import { intakeHttpAdapter } from './app/http-adapter';
import { intakeConfig } from './app/intake-config';
import { decideEverything } from './test/decide-orders';
import { testIdentity, type TestIdentity } from './test/test-identity';

describe('customer-intake HTTP API', () => {
  let redis: TestRedis;
  let client: Redis;
  let sale: SaleKeys;
  let gears: SaleGears;
  let app: NestFastifyApplication | undefined;
  let saleCount = 0;
  let identity: TestIdentity;

  async function start(env: Record<string, string> = {}): Promise<void> {
    await app?.close();
    sale = saleKeys(`${redis.namespace}-${++saleCount}`);
    gears = new SaleGears(client, sale);
    const config = intakeConfig({
      REDIS_URL: redis.url,
      SALE_ID: sale.saleId,
      LOG_LEVEL: 'silent',
      STATUS_REFRESH_MS: '20',
      // The spec shares its event loop with intake: shedding has its own tests (limits/bounds.spec.ts).
      MAX_EVENT_LOOP_DELAY_MS: '60000',
      ...identity.env,
      ...env,
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register(config)],
    }).compile();
    const started = moduleRef.createNestApplication<NestFastifyApplication>(intakeHttpAdapter(config), {
      logger: false,
    });
    started.setGlobalPrefix('api', { exclude: ['health/live', 'health/ready'] });
    await started.init();
    await started.getHttpAdapter().getInstance().ready();
    app = started;
  }

  async function openSale(stock: number, offsets = { start: -1000, end: 60_000 }): Promise<void> {
    const [seconds, micros] = await client.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await gears.configure({
      stock,
      startsAt: now + offsets.start,
      endsAt: now + offsets.end,
    });
    await statusSettles();
  }

  /** The cached status refreshes every 20 ms here; wait until it shows what Redis holds. */
  async function statusSettles(): Promise<void> {
    const expected = (await gears.status()).phase;
    const deadline = Date.now() + 2000;
    while ((await get('/api/sale')).json().phase !== expected) {
      if (Date.now() > deadline) throw new Error(`status never showed ${expected}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The customer signed in as `shopper` sends this body. */
  const order = async (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    running().inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: await identity.bearer('shopper'), ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  /** `name` signs in and orders, with an empty body. */
  const orderAs = async (name: string) =>
    running().inject({ method: 'POST', url: '/api/orders', headers: { authorization: await identity.bearer(name) } });
  const get = (url: string) => running().inject({ method: 'GET', url });
  /** `name` signs in and asks after a ticket. */
  const ticketOf = async (name: string, orderId: string) =>
    running().inject({
      method: 'GET',
      url: `/api/orders/${orderId}`,
      headers: { authorization: await identity.bearer(name) },
    });
  const running = () => {
    if (!app) throw new Error('start() the app first');
    return app;
  };

  const decideAll = () => decideEverything(client, sale);

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    identity = await testIdentity();
    client = redis.client();
    await loadGears(client);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => redis.dispose());

  it('takes an order: 202 with a ticket, the customer entry on the stream, then the ticket tells the unit', async () => {
    await start();
    await openSale(1);
    const taken = await orderAs('alice');
    expect(taken.statusCode).toBe(202);
    const ticket = taken.json();
    expect(ticket).toEqual({
      orderId: expect.any(String),
      status: 'pending',
      submittedAt: expect.any(Number),
    });
    expect((await ticketOf('alice', ticket.orderId)).json()).toEqual({
      orderId: ticket.orderId,
      status: 'pending',
    });
    const [[, fields]] = (await client.xrange(sale.customers, '-', '+')) as [[string, string[]]];
    expect(JSON.parse(fields[fields.indexOf('data') + 1] as string)).toEqual({
      orderId: ticket.orderId,
      customerId: identity.sub('alice'),
      submittedAt: ticket.submittedAt,
    });

    const second = (await orderAs('bob')).json();
    await decideAll();
    expect((await ticketOf('alice', ticket.orderId)).json()).toEqual({
      orderId: ticket.orderId,
      status: 'completed',
      unit: 1,
      decidedAt: expect.any(Number),
    });
    expect((await ticketOf('bob', second.orderId)).json()).toMatchObject({
      status: 'rejected',
      reason: 'sold_out',
    });
  });

  it('400 names the field for bad bodies, 415 for media types, charsets and encodings it does not read, 413 for big bodies, a reason in each; nothing is written', async () => {
    await start();
    await openSale(10);
    const cases: [unknown, number, string | undefined][] = [
      [{ customerId: '' }, 400, 'customerId'],
      [{ customerId: 'a b' }, 400, 'customerId'],
      [{ customerId: 42 }, 400, 'customerId'],
      [{ customerId: 'x'.repeat(65) }, 400, 'customerId'],
      [{ customerId: 'ok', admin: true }, 400, 'body'],
      [[{ customerId: 'ok' }], 400, undefined],
      ['{"customerId": ', 400, undefined],
      [{ customerId: 'y'.repeat(2000) }, 413, undefined],
    ];
    for (const [body, status, field] of cases) {
      const response = await order(body);
      expect([JSON.stringify(body).slice(0, 40), response.statusCode]).toEqual([
        JSON.stringify(body).slice(0, 40),
        status,
      ]);
      if (field)
        expect(response.json()).toMatchObject({
          statusCode: 400,
          reason: 'invalid',
          field,
        });
      expect(response.json().message).toEqual(expect.any(String));
    }
    expect(
      (
        await order('<customerId>a</customerId>', {
          'content-type': 'application/xml',
        })
      ).statusCode,
    ).toBe(415);
    expect(
      (
        await order({ customerId: 'zipped' }, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      ).json(),
    ).toMatchObject({ statusCode: 415, reason: 'unsupported_encoding' });
    expect(
      (await order({ customerId: 'latin' }, { 'content-type': 'application/json; charset=latin1' })).json(),
    ).toMatchObject({
      statusCode: 415,
      reason: 'unsupported_charset',
    });
    expect((await get('/api/nowhere')).json()).toMatchObject({ statusCode: 404, reason: 'not_found' });

    expect((await ticketOf('shopper', 'has%20space')).statusCode).toBe(400);
    expect(await client.xlen(sale.customers)).toBe(0);
  });

  it('423 with the window before the sale opens, and after it ends', async () => {
    await start();
    expect((await orderAs('early')).json()).toMatchObject({
      statusCode: 423,
      reason: 'closed',
      window: { phase: 'unconfigured' },
    });
    await openSale(10, { start: 60_000, end: 120_000 });
    const early = await orderAs('early');
    expect(early.statusCode).toBe(423);
    expect(early.json()).toMatchObject({
      reason: 'closed',
      window: {
        phase: 'scheduled',
        startsAt: expect.any(Number),
        endsAt: expect.any(Number),
      },
    });
    await openSale(10, { start: -120_000, end: -60_000 });
    expect((await orderAs('late')).json()).toMatchObject({
      statusCode: 423,
      window: { phase: 'ended' },
    });
    expect(await client.xlen(sale.customers)).toBe(0);
  });

  it('410 once sold out, 409 for a customer already served', async () => {
    await start({ RATE_LIMIT_PER_SECOND: '3' });
    await openSale(1);
    await orderAs('first');
    await decideAll();
    await statusSettles();
    const again = await orderAs('first');
    // Sold out is what the status says first; a served customer in a sale with stock left gets 409.
    expect(again.statusCode).toBe(410);
    expect(again.json()).toMatchObject({
      reason: 'sold_out',
      soldOutAt: expect.any(Number),
    });
    // The door answers from the status before reading the body, and before the throttler counts the customer.
    expect((await order('{not json')).statusCode).toBe(410);
    for (let i = 0; i < 20; i++) expect((await orderAs('first')).statusCode).toBe(410);

    await start();
    await openSale(5);
    await orderAs('served');
    await decideAll();
    expect((await orderAs('served')).json()).toEqual({
      statusCode: 409,
      error: 'Conflict',
      reason: 'duplicate',
      message: `customer ${identity.sub('served')} already has a unit`,
    });
  });

  it('429 with Retry-After when the backlog is over its bound, and per customer over the rate limit', async () => {
    await start({ MAX_BACKLOG: '3', RATE_LIMIT_PER_SECOND: '2' });
    await openSale(100);
    for (const customerId of ['a', 'b', 'c']) expect((await orderAs(customerId)).statusCode).toBe(202);
    await statusSettlesOnBacklog(3);
    const busy = await orderAs('d');
    expect(busy.statusCode).toBe(429);
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json()).toMatchObject({ reason: 'busy' });

    await decideAll();
    await statusSettlesOnBacklog(0);
    expect((await orderAs('e')).statusCode).toBe(202);
    expect((await orderAs('e')).statusCode).toBe(202);
    const hammering = await orderAs('e');
    expect(hammering.statusCode).toBe(429);
    expect(hammering.json()).toMatchObject({ reason: 'rate_limited' });
    expect(Number(hammering.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  async function statusSettlesOnBacklog(backlog: number): Promise<void> {
    const deadline = Date.now() + 2000;
    while ((await get('/api/sale')).json().backlog !== backlog) {
      if (Date.now() > deadline) throw new Error(`backlog never reached ${backlog}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('GET /api/sale tells phase, stock, window and counts; health says live and ready', async () => {
    await start();
    await openSale(7);
    expect((await get('/api/sale')).json()).toMatchObject({
      phase: 'open',
      stock: 7,
      left: 7,
      window: { startsAt: expect.any(Number), endsAt: expect.any(Number) },
      counts: { completed: 0, closed: 0, duplicate: 0, sold_out: 0 },
      backlog: 0,
    });
    expect((await get('/health/live')).statusCode).toBe(200);
    expect((await get('/health/ready')).json()).toMatchObject({
      status: 'ok',
      info: { redis: { status: 'up' } },
    });
  });

  it('boots without Redis, live but not ready, and answers orders 503 instead of crashing', async () => {
    await start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_TIMEOUT_MS: '200' });
    expect((await get('/health/live')).statusCode).toBe(200);
    expect((await get('/health/ready')).statusCode).toBe(503);
    expect((await orderAs('early')).json()).toMatchObject({ statusCode: 503, reason: 'unavailable' });
  }, 15_000);

  it('503 with Retry-After, fast, while Redis is away; orders flow again when it is back', async () => {
    await start({ REDIS_TIMEOUT_MS: '200' });
    await openSale(10);
    await redis.pause();
    try {
      const started = Date.now();
      const refused = await orderAs('patient');
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(Date.now() - started).toBeLessThan(1500);
      expect((await get('/health/ready')).statusCode).toBe(503);
    } finally {
      await redis.resume();
    }
    await statusSettles();
    expect((await orderAs('patient')).statusCode).toBe(202);
  });

  it('fails at boot naming a bad setting', () => {
    expect(() => intakeConfig({ ...identity.env, MAX_BACKLOG: 'lots' })).toThrow(/MAX_BACKLOG/);
  });
});
