import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { runArchive, SALE_REGISTRY_KEY, saleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { decideEverything } from '../test/decide-orders';
import { startTestIntake } from '../test/test-intake';
import { SaleRoster } from './sale-roster';
import { testIdentity, type TestIdentity } from '../test/test-identity';

const ADMIN = 'an-operator-token-of-some-length';

describe('one intake, many sales', () => {
  let redis: TestRedis;
  let client: Redis;
  let identity: TestIdentity;
  let app: NestFastifyApplication;
  let defaultSale: string;
  let sales = 0;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
    identity = await testIdentity();
    defaultSale = `${redis.namespace}-default`;
    ({ app } = await startTestIntake(client, redis.url, defaultSale, 10, {
      ...identity.env,
      ADMIN_TOKEN: ADMIN,
      QUEUE_WATCH_MS: '50',
      SALE_REGISTRY_REFRESH_MS: '50',
    }));
  });
  afterAll(async () => {
    await app?.close();
    await redis.dispose();
  });

  const fresh = () => `${redis.namespace}-s${++sales}`;
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string> = {}, body?: object) =>
    app.inject({
      method,
      url,
      headers: body ? { 'content-type': 'application/json', ...headers } : headers,
      payload: body ? JSON.stringify(body) : undefined,
    });
  const operator = (method: 'GET' | 'PUT', url: string, body?: object) =>
    call(method, url, { authorization: `Bearer ${ADMIN}` }, body);
  /** Configures a sale through the operator API and waits until this intake sells it. */
  const opened = async (saleId: string, settings: object = { units: 5, durationSeconds: 60 }) => {
    const made = await operator('PUT', `/api/admin/sales/${saleId}`, settings);
    await eventually(async () => (await call('GET', `/api/sales/${saleId}`)).statusCode === 200, `${saleId} sold`);
    return made;
  };
  const as = async (name: string, headers: Record<string, string> = {}) => ({
    authorization: await identity.bearer(name),
    ...headers,
  });

  it('lets the operator create, configure, close, open, list and read a sale by its id', async () => {
    const saleId = fresh();
    expect((await operator('GET', `/api/admin/sales/${saleId}`)).json()).toMatchObject({
      statusCode: 404,
      reason: 'unknown_sale',
    });
    const made = await operator('PUT', `/api/admin/sales/${saleId}`, { units: 4, durationSeconds: 60 });
    expect(made.json()).toMatchObject({ soldBefore: 0, run: 1, status: { phase: 'open', stock: 4 } });
    expect(await client.zscore(SALE_REGISTRY_KEY, saleId)).not.toBeNull();
    const before = Number(await client.zscore(SALE_REGISTRY_KEY, saleId));
    const closed = await operator('PUT', `/api/admin/sales/${saleId}/state`, { state: 'closed' });
    expect(closed.json()).toMatchObject({ previous: 'open', status: { phase: 'closed' } });
    expect(Number(await client.zscore(SALE_REGISTRY_KEY, saleId))).toBeGreaterThanOrEqual(before);
    expect((await operator('PUT', `/api/admin/sales/${saleId}/state`, { state: 'open' })).json()).toMatchObject({
      status: { phase: 'open' },
    });
    const listed = (await operator('GET', '/api/admin/sales')).json<{
      sales: { saleId: string; default: boolean }[];
    }>();
    expect(listed.sales).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ saleId, default: false, status: expect.objectContaining({ stock: 4 }) }),
        expect.objectContaining({ saleId: defaultSale, default: true }),
      ]),
    );
    expect((await operator('GET', `/api/admin/sales/${saleId}`)).json()).toMatchObject({
      saleId,
      run: 1,
      status: { phase: 'open' },
      report: null,
      earlierRuns: [],
    });
    // A state switch of a sale never configured, and ids that cannot be a sale's.
    expect((await operator('PUT', `/api/admin/sales/${fresh()}/state`, { state: 'open' })).json()).toMatchObject({
      statusCode: 409,
      reason: 'no_sale',
    });
    for (const bad of ['a%7Db', 'x'.repeat(65), '%20']) {
      expect((await operator('PUT', `/api/admin/sales/${bad}`, { units: 1 })).json()).toMatchObject({
        statusCode: 400,
        field: 'sale',
      });
    }
    expect((await call('GET', '/api/admin/sales')).statusCode).toBe(401);
  });

  it('sells two sales at once, their tickets, idempotency keys and passes kept apart', async () => {
    const [a, b] = [fresh(), fresh()];
    for (const saleId of [a, b]) await opened(saleId);
    const order = async (saleId: string, name: string, headers: Record<string, string> = {}) =>
      call('POST', `/api/sales/${saleId}/orders`, await as(name, headers));
    const [inA, inB] = await Promise.all([
      order(a, 'ann', { 'idempotency-key': 'k1' }),
      order(b, 'ann', { 'idempotency-key': 'k1' }),
    ]);
    expect([inA.statusCode, inB.statusCode]).toEqual([202, 202]);
    // One key, one customer, two sales: two orders.
    expect(inA.json().orderId).not.toBe(inB.json().orderId);
    expect((await order(a, 'ann', { 'idempotency-key': 'k1' })).json().orderId).toBe(inA.json().orderId);
    expect(await client.xlen(saleKeys(a).customers)).toBe(1);
    expect(await client.xlen(saleKeys(b).customers)).toBe(1);
    // A ticket of sale A asked under sale B (or the default sale) is no ticket there.
    const ticketA = inA.json().orderId as string;
    for (const where of [`/api/sales/${b}/orders/${ticketA}`, `/api/orders/${ticketA}`]) {
      expect((await call('GET', where, await as('ann'))).json()).toMatchObject({
        statusCode: 404,
        reason: 'not_found',
      });
    }
    await decideEverything(client, saleKeys(a));
    expect((await call('GET', `/api/sales/${a}/orders/${ticketA}`, await as('ann'))).json()).toMatchObject({
      status: 'completed',
      unit: 1,
    });
    expect((await call('GET', `/api/sales/${b}/orders/${inB.json().orderId}`, await as('ann'))).json()).toMatchObject({
      status: 'pending',
    });
    await eventually(async () => (await call('GET', `/api/sales/${a}`)).json().left === 4, 'sale a sold one');
    expect((await call('GET', `/api/sales/${b}`)).json()).toMatchObject({ left: 5, stock: 5, run: 1 });

    // Passes: sale B's waiting room on, sale A's off; a pass of B does not buy in A's line and the other way round.
    await operator('PUT', `/api/admin/sales/${b}/room`, { on: true, admitPerSecond: 1000 });
    await eventually(async () => (await order(b, 'bob')).statusCode === 403, 'intake notices the room of b');
    expect((await order(a, 'bob')).statusCode).toBe(202);
    let pass: string | undefined;
    await eventually(async () => {
      pass = (await call('POST', `/api/sales/${b}/queue`, await as('bob'))).json().pass;
      return pass !== undefined;
    }, 'bob admitted to b');
    await operator('PUT', `/api/admin/sales/${a}/room`, { on: true, admitPerSecond: 1000 });
    await eventually(async () => (await order(a, 'cid')).statusCode === 403, 'intake notices the room of a');
    const elsewhere = await order(a, 'bob', { 'admission-pass': pass as string });
    expect([elsewhere.statusCode, elsewhere.json().reason]).toEqual([403, 'pass_other_sale']);
    expect((await order(b, 'bob', { 'admission-pass': pass as string })).statusCode).toBe(202);
  }, 30_000);

  it('answers 404 unknown_sale for a sale it does not sell, whatever the id, and keeps no state for it', async () => {
    const unknown = fresh();
    const sold = app.get(SaleRoster).all().length;
    for (const url of [
      `/api/sales/${unknown}`,
      `/api/sales/${unknown}/events`,
      `/api/sales/${unknown}/orders/1.aaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaa`,
    ]) {
      expect([url, (await call('GET', url)).json()]).toEqual([
        url,
        expect.objectContaining({ statusCode: 404, reason: 'unknown_sale' }),
      ]);
    }
    for (const url of [`/api/sales/${unknown}/orders`, `/api/sales/${unknown}/queue`]) {
      expect((await call('POST', url, await as('ann'))).json()).toMatchObject({
        statusCode: 404,
        reason: 'unknown_sale',
      });
    }
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), async (id) => {
        const response = await call('GET', `/api/sales/${encodeURIComponent(id)}`);
        return response.statusCode === 404 || (response.statusCode === 200 && id === defaultSale);
      }),
      { numRuns: 200 },
    );
    const posted = await call('POST', `/api/sales/${'%7B'.repeat(40)}/orders`, await as('ann'), {});
    expect(posted.statusCode).toBe(404);
    // The sales sold (which alone get a snapshot, a line and an event source) are what they were; nothing in Redis.
    expect(app.get(SaleRoster).all()).toHaveLength(sold);
    expect(await client.exists(saleKeys(unknown).state, saleKeys(unknown).customers)).toBe(0);
  }, 60_000);

  it('keeps the routes without a sale for the default sale', async () => {
    const taken = await call('POST', '/api/orders', await as('dee'));
    expect(taken.statusCode).toBe(202);
    const ticket = taken.json().orderId as string;
    expect((await call('GET', `/api/sales/${defaultSale}/orders/${ticket}`, await as('dee'))).json()).toMatchObject({
      status: 'pending',
    });
    expect((await call('GET', '/api/sale')).json()).toMatchObject({ stock: 10, run: 1 });
    expect((await call('GET', `/api/sales/${defaultSale}`)).json()).toMatchObject({ stock: 10 });
    expect((await operator('PUT', '/api/admin/sale/state', { state: 'open' })).statusCode).toBe(200);
    expect(await client.zscore(SALE_REGISTRY_KEY, defaultSale)).not.toBeNull();
  });

  it('answers an earlier run’s ticket with its decision there, or 410 earlier_run', async () => {
    const saleId = fresh();
    const sale = saleKeys(saleId);
    await opened(saleId, { units: 3, durationSeconds: 60 });
    const order = async (name: string) => (await call('POST', `/api/sales/${saleId}/orders`, await as(name))).json();
    const decided = await order('eve');
    await decideEverything(client, sale);
    const undecided = await order('fay');
    const restarted = await operator('PUT', `/api/admin/sales/${saleId}`, {
      units: 3,
      durationSeconds: 60,
      force: true,
    });
    expect(restarted.json()).toMatchObject({ soldBefore: 1, run: 2, status: { left: 3, run: 2 } });
    expect(await client.xlen(runArchive(sale, 1).customers)).toBe(1);
    await eventually(async () => (await call('GET', `/api/sales/${saleId}`)).json().run === 2, 'intake sees run 2');
    const status = async (name: string, id: string) =>
      (await call('GET', `/api/sales/${saleId}/orders/${id}`, await as(name))).json();
    expect(await status('eve', decided.orderId)).toMatchObject({ status: 'completed', unit: 1 });
    expect(await status('fay', undecided.orderId)).toMatchObject({
      statusCode: 410,
      reason: 'earlier_run',
      run: 1,
      currentRun: 2,
    });
    // The new run sells from its own stock; eve may buy again in it.
    const again = await order('eve');
    expect(again.orderId).toMatch(/^2\./);
    await decideEverything(client, sale);
    expect(await status('eve', again.orderId)).toMatchObject({ status: 'completed', unit: 1 });
    expect((await operator('GET', `/api/admin/sales/${saleId}`)).json()).toMatchObject({
      run: 2,
      earlierRuns: [{ run: 1, report: null }],
    });
    expect(await new SaleGears(client, sale).status()).toMatchObject({ run: 2, left: 2 });
  }, 30_000);
});
