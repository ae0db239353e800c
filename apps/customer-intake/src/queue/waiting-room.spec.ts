import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { startTestRedis, eventually, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestIntake } from '../test/test-intake';
import { testIdentity, type TestIdentity } from '../test/test-identity';
import type { LineUpdate } from './waiting-room.service';

const ADMIN = 'an-operator-token-of-some-length';
const SECRET = 'the-ticket-secret-of-every-intake-here';

type Joined = LineUpdate & { queueToken: string; events: string };

describe('the waiting room at the front door', () => {
  let redis: TestRedis;
  let client: Redis;
  let identity: TestIdentity;
  const apps: NestFastifyApplication[] = [];
  let sales = 0;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
    identity = await testIdentity();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => redis.dispose());

  /** An intake (or a second one on the same sale) watching the room every 50 ms. */
  async function intake(saleId = `${redis.namespace}-room-${++sales}`, stock = 100) {
    const { app, sale } = await startTestIntake(client, redis.url, saleId, stock, {
      ...identity.env,
      ADMIN_TOKEN: ADMIN,
      TICKET_SECRET: SECRET,
      QUEUE_WATCH_MS: '50',
      // Every shopper here comes from 127.0.0.1: the auto spec's rushes are more than one address may bring.
      MAX_CUSTOMERS_PER_ADDRESS: '10000',
    });
    apps.push(app);
    const inject = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string> = {}, body?: object) =>
      app.inject({
        method,
        url,
        headers: body ? { 'content-type': 'application/json', ...headers } : headers,
        payload: body ? JSON.stringify(body) : undefined,
      });
    const as = async (name: string) => ({ authorization: await identity.bearer(name) });
    return {
      app,
      sale,
      room: (settings: object) =>
        inject('PUT', `/api/admin/sales/${sale.saleId}/room`, { authorization: `Bearer ${ADMIN}` }, settings),
      join: async (name: string) => inject('POST', `/api/sales/${sale.saleId}/queue`, await as(name)),
      order: async (name: string, headers: Record<string, string> = {}) =>
        inject('POST', '/api/orders', { ...(await as(name)), ...headers }),
    };
  }

  /** Joins until admitted; the pass. */
  async function admitted(door: Awaited<ReturnType<typeof intake>>, name: string): Promise<Joined> {
    let joined: Joined | undefined;
    await eventually(async () => {
      joined = (await door.join(name)).json<Joined>();
      return joined.where === 'admitted';
    }, `${name} admitted`);
    return joined as Joined;
  }

  it('asks nothing more of an order while the room is off', async () => {
    const door = await intake();
    expect((await door.join('ada')).json()).toMatchObject({ where: 'off' });
    expect((await door.order('ada')).statusCode).toBe(202);
  });

  it('refuses an order without its own, live, unused pass while the room is on', async () => {
    const door = await intake();
    // Passes of 3 s: long enough for a loaded machine to use one, short enough to see one lapse.
    expect((await door.room({ on: true, admitPerSecond: 1000, admitMs: 3000 })).statusCode).toBe(200);
    await eventually(async () => (await door.order('ada')).statusCode === 403, 'intake notices the room');
    expect((await door.order('ada')).json()).toMatchObject({ reason: 'not_admitted' });

    const ada = await admitted(door, 'ada');
    expect(ada.pass).toEqual(expect.any(String));
    expect(ada.passExpiresAt).toBeGreaterThan(Date.now());
    const first = await door.order('ada', { 'admission-pass': ada.pass as string, 'idempotency-key': 'k1' });
    expect([first.statusCode, first.json().reason]).toEqual([202, undefined]);
    // The same order again (its Idempotency-Key) passes and gets its ticket; another order with the pass does not.
    const retry = await door.order('ada', { 'admission-pass': ada.pass as string, 'idempotency-key': 'k1' });
    expect(retry.statusCode).toBe(202);
    expect(retry.json().orderId).toBe(first.json().orderId);
    for (const headers of [{ 'idempotency-key': 'k2' }, {}] as Record<string, string>[]) {
      const again = await door.order('ada', { 'admission-pass': ada.pass as string, ...headers });
      expect([again.statusCode, again.json().reason]).toEqual([403, 'pass_used']);
    }

    const bob = await door.order('bob', { 'admission-pass': ada.pass as string });
    expect([bob.statusCode, bob.json().reason]).toEqual([403, 'pass_not_yours']);
    const forged = await door.order('bob', { 'admission-pass': `${(ada.pass as string).slice(0, -4)}AAAA` });
    expect([forged.statusCode, forged.json().reason]).toEqual([403, 'pass_invalid']);
    // A queue token is not a pass.
    const queueToken = await door.order('ada', { 'admission-pass': ada.queueToken });
    expect([queueToken.statusCode, queueToken.json().reason]).toEqual([403, 'pass_invalid']);

    const carol = await admitted(door, 'carol');
    await sleep(Math.max(0, (carol.passExpiresAt as number) - Date.now()) + 1100);
    const late = await door.order('carol', { 'admission-pass': carol.pass as string });
    expect([late.statusCode, late.json().reason]).toEqual([403, 'pass_expired']);
  }, 30_000);

  it('turns the room on by itself (auto) once the orders arriving pass the admission rate', async () => {
    const door = await intake();
    expect((await door.room({ on: false, auto: true, admitPerSecond: 5 })).statusCode).toBe(200);
    // Rounds of 20 shoppers at once (one after another, a loaded machine may take more than 200 ms an order and
    // never pass 5 a second): each let in until a watch has reported more than 5 within a second, then the door
    // asks for a pass. Not before: at least 6 get in.
    let letIn = 0;
    for (let round = 0, refused = false; !refused && round < 25; round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => door.order(`rush-${round}-${i}`)));
      letIn += answers.filter((answer) => answer.statusCode === 202).length;
      refused = answers.some((answer) => answer.statusCode === 403);
    }
    expect(letIn).toBeGreaterThanOrEqual(6);
    await eventually(async () => (await door.order('late')).statusCode === 403, 'the room on by itself');
    expect((await door.order('later')).json()).toMatchObject({ reason: 'not_admitted' });
    const status = await new SaleGears(client, door.sale).roomStatus();
    expect(status).toMatchObject({ on: true, auto: true });
    expect(status.autoOnAt).toBeGreaterThan(0);
    expect((await door.join('later')).json()).toMatchObject({ where: 'waiting' });
  }, 20_000);

  it('stays off with auto set while fewer arrive than it admits', async () => {
    const door = await intake();
    expect((await door.room({ on: false, auto: true, admitPerSecond: 1000 })).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await door.order(`calm-${i}`)).statusCode).toBe(202);
    await sleep(300);
    expect((await door.order('calm-late')).statusCode).toBe(202);
  });

  it('refuses a pass of another sale', async () => {
    const secret = await intake();
    const other = await intake();
    for (const door of [secret, other]) await door.room({ on: true, admitPerSecond: 1000 });
    const pass = (await admitted(other, 'dave')).pass as string;
    await eventually(async () => (await secret.order('dave')).statusCode === 403, 'intake notices the room');
    const refused = await secret.order('dave', { 'admission-pass': pass });
    expect([refused.statusCode, refused.json().reason]).toEqual([403, 'pass_other_sale']);
  });

  it('streams the line live until the admission, with the pass', async () => {
    const door = await intake();
    await door.room({ on: true, admitPerSecond: 2 });
    for (const name of ['p1', 'p2', 'p3']) await door.join(name);
    const eve = (await door.join('eve')).json<Joined>();
    expect(eve).toMatchObject({ where: 'waiting' });
    expect(eve.ahead).toBeGreaterThanOrEqual(1);
    expect(eve.estimatedWaitMs).toBe(Math.ceil(((eve.ahead as number) + 1) * 500));

    await door.app.listen(0, '127.0.0.1');
    const { port } = door.app.getHttpServer().address() as AddressInfo;
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}${eve.events}`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const updates: LineUpdate[] = [];
    let buffered = '';
    while (updates.at(-1)?.where !== 'admitted') {
      buffered += new TextDecoder().decode((await reader.read()).value);
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event.split('\n').find((line) => line.startsWith('data: '));
        if (event.includes('event: line') && data) updates.push(JSON.parse(data.slice(6)) as LineUpdate);
      }
    }
    abort.abort();
    const aheads = updates.filter((u) => u.where === 'waiting').map((u) => u.ahead as number);
    expect(aheads.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < aheads.length; i++) expect(aheads[i]).toBeLessThan(aheads[i - 1] as number);
    const last = updates.at(-1) as LineUpdate;
    expect(last.pass).toEqual(expect.any(String));
    expect((await door.order('eve', { 'admission-pass': last.pass as string })).statusCode).toBe(202);
  }, 30_000);

  it('opens the live line only with the customer’s queue token, for this sale', async () => {
    const door = await intake();
    await door.room({ on: true, admitPerSecond: 1 });
    const frank = (await door.join('frank')).json<Joined>();
    const events = `/api/sales/${door.sale.saleId}/queue/events`;
    const get = (url: string) => door.app.inject({ method: 'GET', url });
    expect((await get(events)).json()).toMatchObject({ statusCode: 401, reason: 'missing_queue_token' });
    expect((await get(`${events}?token=nope`)).json()).toMatchObject({
      statusCode: 403,
      reason: 'queue_token_invalid',
    });
    expect((await get(`${events}?token=${frank.pass ?? 'x.y.z'}`)).statusCode).toBe(403);
    expect((await door.join('frank')).statusCode).toBe(200);
    const elsewhere = await door.app.inject({
      method: 'POST',
      url: '/api/sales/another-sale/queue',
      headers: { authorization: await identity.bearer('frank') },
    });
    expect(elsewhere.json()).toMatchObject({ statusCode: 404, reason: 'unknown_sale' });
    const anonymous = await door.app.inject({ method: 'POST', url: `/api/sales/${door.sale.saleId}/queue` });
    expect(anonymous.statusCode).toBe(401);
  });

  it('keeps one line for two intake processes and across a restart', async () => {
    const saleId = `${redis.namespace}-room-shared`;
    const one = await intake(saleId);
    await one.room({ on: true, admitPerSecond: 1 });
    const other = await intake(saleId);
    expect((await one.join('g1')).json()).toMatchObject({ where: expect.stringMatching(/waiting|admitted/) });
    const second = (await other.join('g2')).json<Joined>();
    const third = (await one.join('g3')).json<Joined>();
    expect(third.ahead).toBe((second.ahead as number) + 1);
    // One of them stops: the other and a new one still see the same places.
    await one.app.close();
    apps.splice(apps.indexOf(one.app), 1);
    const restarted = await intake(saleId);
    const g3 = (await restarted.join('g3')).json<Joined>();
    expect(g3.where === 'admitted' || (g3.ahead as number) <= (third.ahead as number)).toBe(true);
    expect(await client.hget(one.sale.room.settings, 'joined')).toBe('3');
  });
});
