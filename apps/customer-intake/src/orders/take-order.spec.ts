import { loadGears } from '@popup-store/gears-client';
import { idempotencyKey } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { decideEverything } from '../test/decide-orders';
import { testIdentity, type TestIdentity } from '../test/test-identity';
import { startTestIntake, type TestIntake } from '../test/test-intake';

/**
 * The write of an accepted order, against a real Redis: the buyer check and the XADD are one atomic call
 * (`popup_take_order`), so every 202 has its entry and no 409 has one, whatever the decisions do meanwhile; the
 * report's accepted orders then equal the tickets given.
 */
describe('customer-intake: taking an order in one call', () => {
  let redis: TestRedis;
  let client: Redis;
  let identity: TestIdentity;
  let intake: TestIntake | undefined;
  let sales = 0;

  const start = async (stock: number) => {
    await intake?.app.close();
    intake = await startTestIntake(client, redis.url, `${redis.namespace}-${++sales}`, stock, {
      ...identity.env,
      STATUS_REFRESH_MS: '1000',
      REDIS_TIMEOUT_MS: '10000',
      RATE_LIMIT_PER_SECOND: '100000',
    });
    return intake;
  };
  const running = () => {
    if (!intake) throw new Error('start() first');
    return intake;
  };
  const orderAs = async (name: string, headers: Record<string, string> = {}) =>
    running().app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: await identity.bearer(name), ...headers },
    });
  /** Entries ever written to the customers stream (deciding an order deletes its customer entry). */
  const entriesAdded = async () => {
    const info = (await client.xinfo('STREAM', running().sale.customers).catch(() => null)) as unknown[] | null;
    return info ? Number(info[info.indexOf('entries-added') + 1]) : 0;
  };

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    identity = await testIdentity();
    await loadGears(client);
  });
  afterEach(async () => {
    await intake?.app.close();
    intake = undefined;
  });
  afterAll(() => redis.dispose());

  it('a customer who holds a unit gets 409 and no entry is written, with an Idempotency-Key or without', async () => {
    const { sale } = await start(10);
    await client.hset(sale.buyers, identity.sub('holder'), 'earlier-order:1');
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => orderAs('holder')),
      ...Array.from({ length: 10 }, (_, i) => orderAs('holder', { 'idempotency-key': `k-${i % 3}` })),
    ]);
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(409));
    expect(answers[0]?.json()).toMatchObject({ reason: 'duplicate' });
    expect(await entriesAdded()).toBe(0);
    // A key that got a 409 holds no ticket: its retry is a 409 again, not a replay of an order never written.
    expect(await client.exists(idempotencyKey(sale, identity.sub('holder'), 'k-0'))).toBe(0);
    expect((await orderAs('holder', { 'idempotency-key': 'k-0' })).statusCode).toBe(409);
  });

  it('concurrent orders of one customer while their orders are decided: every 202 one entry, every 409 none', async () => {
    const { sale } = await start(5);
    let deciding = true;
    const decider = (async () => {
      while (deciding) await decideEverything(client, sale);
    })();
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => orderAs('eager')));
      statuses.push(...answers.map((answer) => answer.statusCode));
    }
    deciding = false;
    await decider;
    await decideEverything(client, sale);
    const accepted = statuses.filter((status) => status === 202).length;
    expect(statuses.filter((status) => status !== 202 && status !== 409)).toEqual([]);
    // The decider ran meanwhile: the customer got the unit within the rounds, and was told 409 from then on.
    expect(statuses.at(-1)).toBe(409);
    expect(await entriesAdded()).toBe(accepted);
    expect(await client.hlen(sale.decisions)).toBe(accepted);
    const decisions = Object.values(await client.hgetall(sale.decisions));
    expect(decisions.filter((decision) => decision.startsWith('completed:'))).toHaveLength(1);
    expect(await client.hget(sale.buyers, identity.sub('eager'))).toMatch(/:1$/);
  });

  it('Idempotency-Key replays name the one order written, before and after it is decided', async () => {
    const { sale } = await start(5);
    const key = { 'idempotency-key': 'basket-7' };
    const first = await Promise.all(Array.from({ length: 8 }, () => orderAs('replayer', key)));
    expect(first.map((answer) => answer.statusCode)).toEqual(Array(8).fill(202));
    const [orderId] = new Set(first.map((answer) => answer.json().orderId));
    expect(await entriesAdded()).toBe(1);
    await decideEverything(client, sale);
    // Decided: the customer holds the unit, yet the same key still answers its ticket; a new key is a 409.
    expect((await orderAs('replayer', key)).json()).toMatchObject({ orderId, status: 'pending' });
    expect((await orderAs('replayer', { 'idempotency-key': 'basket-8' })).statusCode).toBe(409);
    expect((await orderAs('replayer')).statusCode).toBe(409);
    expect(await entriesAdded()).toBe(1);
  });
});
