import { FulfilmentTrigger, loadGears, SaleGears } from '@popup-store/gears-client';
import { generateSigningKey } from '@popup-store/customer-identity';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { base64url, SignJWT, UnsecuredJWT } from 'jose';
import type { Redis } from 'ioredis';
import { intakeConfig } from '../app/intake-config';
import { TEST_ISSUER, testIdentity, type TestIdentity } from '../test/test-identity';
import { startTestIntake, type TestIntake } from '../test/test-intake';

/**
 * Signed-in customers against a real Redis and real tokens: who may buy, how many from one address, who may read
 * a ticket, and what an Idempotency-Key promises.
 */
describe('customer-intake: signed-in customers', () => {
  let redis: TestRedis;
  let client: Redis;
  let identity: TestIdentity;
  let intake: TestIntake | undefined;
  let sales = 0;

  const start = async (stock: number, env: Record<string, string> = {}) => {
    await intake?.app.close();
    intake = await startTestIntake(client, redis.url, `${redis.namespace}-${++sales}`, stock, {
      ...identity.env,
      // The sale is open before intake starts and stays so: a slow refresh keeps a busy event loop (hundreds of
      // requests at once on shared cores) from making the status look stale, which would answer 503.
      STATUS_REFRESH_MS: '1000',
      REDIS_TIMEOUT_MS: '10000',
      ...env,
    });
    return intake;
  };
  const running = () => {
    if (!intake) throw new Error('start() first');
    return intake;
  };
  const post = (headers: Record<string, string>, payload?: string, remoteAddress?: string) =>
    running().app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(payload === undefined ? {} : { payload }),
      ...(remoteAddress ? { remoteAddress } : {}),
    });
  const orderAs = async (
    name: string,
    headers: Record<string, string> = {},
    payload?: string,
    remoteAddress?: string,
  ) => post({ authorization: await identity.bearer(name), ...headers }, payload, remoteAddress);
  const ticketOf = async (name: string, orderId: string) =>
    running().app.inject({
      method: 'GET',
      url: `/api/orders/${orderId}`,
      headers: { authorization: await identity.bearer(name) },
    });
  const written = () => client.xlen(running().sale.customers);

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

  it('refuses to boot without a way to verify tokens, naming the variables', () => {
    expect(() => intakeConfig({})).toThrow(
      /CUSTOMER_JWKS_URL or CUSTOMER_TOKEN_PUBLIC_KEY[\s\S]*CUSTOMER_TOKEN_ISSUER/,
    );
    expect(() => intakeConfig({ ...identity.env, CUSTOMER_TOKEN_PUBLIC_KEY: 'not a key' })).toThrow(
      /CUSTOMER_TOKEN_PUBLIC_KEY: not a PEM or JWK public key/,
    );
    expect(() => intakeConfig({ ...identity.env, CUSTOMER_TOKEN_ALGORITHMS: 'HS256' })).toThrow(
      /CUSTOMER_TOKEN_ALGORITHMS/,
    );
  });

  it('401 with a reason and WWW-Authenticate for every token that does not prove a customer; nothing is written', async () => {
    await start(100);
    const now = Math.floor(Date.now() / 1000);
    const other = await generateSigningKey();
    const signed = (claims: Record<string, unknown>, by = identity.key) =>
      new SignJWT({ sub: 'u_x', iss: TEST_ISSUER, aud: 'popup-store', iat: now, exp: now + 60, ...claims })
        .setProtectedHeader({ alg: by.alg, kid: by.publicJwk.kid })
        .sign(by.privateKey);
    const cases: [string, Record<string, string>, string][] = [
      ['no Authorization', {}, 'missing_token'],
      ['Basic', { authorization: 'Basic YWxpY2U6c2VjcmV0' }, 'malformed_token'],
      ['Bearer and nothing', { authorization: 'Bearer ' }, 'malformed_token'],
      ['not a JWT', { authorization: 'Bearer abc' }, 'malformed_token'],
      ['expired', { authorization: `Bearer ${await signed({ exp: now - 60, iat: now - 120 })}` }, 'expired_token'],
      ['not yet valid', { authorization: `Bearer ${await signed({ nbf: now + 600 })}` }, 'token_not_yet_valid'],
      ['wrong issuer', { authorization: `Bearer ${await signed({ iss: 'http://evil.test' })}` }, 'wrong_issuer'],
      ['wrong audience', { authorization: `Bearer ${await signed({ aud: 'elsewhere' })}` }, 'wrong_audience'],
      ['another key', { authorization: `Bearer ${await signed({}, other)}` }, 'bad_signature'],
      [
        'alg none',
        {
          authorization: `Bearer ${new UnsecuredJWT({ sub: 'u_x', iss: TEST_ISSUER, aud: 'popup-store', exp: now + 60 }).encode()}`,
        },
        'unsupported_algorithm',
      ],
      [
        'HS256 with the public key as secret',
        {
          authorization: `Bearer ${await new SignJWT({
            sub: 'u_x',
            iss: TEST_ISSUER,
            aud: 'popup-store',
            exp: now + 60,
          })
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(identity.env['CUSTOMER_TOKEN_PUBLIC_KEY']))}`,
        },
        'unsupported_algorithm',
      ],
    ];
    for (const [what, headers, reason] of cases) {
      const response = await post(headers);
      expect([what, response.statusCode, response.json().reason]).toEqual([what, 401, reason]);
      expect(response.headers['www-authenticate']).toMatch(
        reason === 'missing_token'
          ? /^Bearer realm="popup-store"$/
          : /^Bearer realm="popup-store", error="invalid_token"/,
      );
    }
    const unknownTicket = await running().app.inject({ method: 'GET', url: '/api/orders/abc' });
    expect(unknownTicket.statusCode).toBe(401);
    expect(await written()).toBe(0);
  });

  it('10,000 forged tokens (another key, alg none, HS256 with the public key as secret) get 0 units', async () => {
    await start(1000, { RATE_LIMIT_PER_SECOND: '1000000', MAX_CUSTOMERS_PER_ADDRESS: '1000000' });
    const now = Math.floor(Date.now() / 1000);
    const other = await generateSigningKey();
    const secret = new TextEncoder().encode(identity.env['CUSTOMER_TOKEN_PUBLIC_KEY']);
    const claims = (i: number) => ({
      sub: `u_forged${i}`,
      iss: TEST_ISSUER,
      aud: 'popup-store',
      iat: now,
      exp: now + 600,
    });
    const [header, payload, signature] = (await identity.bearer('genuine')).slice(7).split('.');
    const forge = async (i: number): Promise<string> => {
      switch (i % 4) {
        case 0:
          return new SignJWT(claims(i))
            .setProtectedHeader({ alg: 'ES256', kid: identity.key.publicJwk.kid })
            .sign(other.privateKey);
        case 1:
          return new UnsecuredJWT(claims(i)).encode();
        case 2:
          return new SignJWT(claims(i)).setProtectedHeader({ alg: 'HS256' }).sign(secret);
        default:
          // A genuine signature under a payload of the forger's choosing.
          return `${header}.${base64url.encode(JSON.stringify(claims(i)))}.${signature}`;
      }
    };
    expect(payload).toBeDefined();
    const statuses: Record<number, number> = {};
    for (let from = 0; from < 10_000; from += 100) {
      const answers = await Promise.all(
        Array.from(
          { length: 100 },
          async (_, k) => (await post({ authorization: `Bearer ${await forge(from + k)}` })).statusCode,
        ),
      );
      for (const status of answers) statuses[status] = (statuses[status] ?? 0) + 1;
    }
    expect(statuses).toEqual({ 401: 10_000 });
    expect(await written()).toBe(0);
    expect((await orderAs('genuine')).statusCode).toBe(202);
  }, 120_000);

  it('the customer is the sub: the body may be empty or name the same customer; another customerId is a 400', async () => {
    await start(10);
    expect((await orderAs('ann')).statusCode).toBe(202);
    expect((await orderAs('ben', {}, '{}')).statusCode).toBe(202);
    expect((await orderAs('cat', {}, JSON.stringify({ customerId: identity.sub('cat') }))).statusCode).toBe(202);
    const mismatch = await orderAs('dan', {}, JSON.stringify({ customerId: identity.sub('ann') }));
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json()).toMatchObject({ reason: 'customer_mismatch', field: 'customerId' });
    const entries = (await client.xrange(running().sale.customers, '-', '+')) as [string, string[]][];
    expect(entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('data') + 1] as string).customerId)).toEqual(
      ['ann', 'ben', 'cat'].map(identity.sub),
    );
  });

  it('the sale door answers 410/423 before any token is looked at', async () => {
    await start(10, { STATUS_REFRESH_MS: '20' });
    await new SaleGears(client, running().sale).setState('closed');
    const deadline = Date.now() + 2000;
    while ((await post({})).statusCode !== 423) {
      if (Date.now() > deadline) throw new Error('the door never closed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await post({ authorization: 'Bearer forged' })).json()).toMatchObject({
      statusCode: 423,
      reason: 'closed',
    });
  });

  it('500 customers behind one address: at most MAX_CUSTOMERS_PER_ADDRESS get tickets, the rest 429; spread over trusted-proxy addresses, all 500 do', async () => {
    await start(2000, { MAX_CUSTOMERS_PER_ADDRESS: '20', TRUSTED_PROXIES: '127.0.0.1' });
    const names = Array.from({ length: 500 }, (_, i) => `bot-${i}`);
    const behindOne = await Promise.all(names.map((name) => orderAs(name, {}, undefined, '203.0.113.7')));
    const count = (answers: { statusCode: number }[], status: number) =>
      answers.filter((answer) => answer.statusCode === status).length;
    expect(count(behindOne, 202)).toBe(20);
    expect(count(behindOne, 429)).toBe(480);
    const refused = behindOne.find((answer) => answer.statusCode === 429);
    expect(refused?.json()).toMatchObject({ reason: 'too_many_customers' });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // X-Forwarded-For from a peer that is not a trusted proxy is not believed.
    const spoofing = await Promise.all(
      names
        .slice(0, 50)
        .map((name, i) => orderAs(`${name}-x`, { 'x-forwarded-for': `198.51.100.${i}` }, undefined, '203.0.113.7')),
    );
    expect(count(spoofing, 202)).toBe(0);
    const shoppers = names.map((name) => `person-${name}`);
    const spread = await Promise.all(
      shoppers.map((name, i) =>
        orderAs(name, { 'x-forwarded-for': `10.0.${i >> 8}.${i & 255}` }, undefined, '127.0.0.1'),
      ),
    );
    expect(count(spread, 202)).toBe(500);
    expect(await written()).toBe(520);
  });

  it('a ticket answers only its customer: another customer and an id never issued get 404', async () => {
    await start(10);
    const ticket = (await orderAs('owner')).json();
    expect((await ticketOf('owner', ticket.orderId)).json()).toEqual({ orderId: ticket.orderId, status: 'pending' });
    const snooping = await ticketOf('snoop', ticket.orderId);
    expect(snooping.statusCode).toBe(404);
    expect(snooping.json()).toMatchObject({ reason: 'not_found' });
    const [nonce] = ticket.orderId.split('.');
    for (const id of [`${nonce}.AAAAAAAAAAAAAAAAAAAAAA`, 'never-issued', `${'A'.repeat(22)}.${'B'.repeat(22)}`]) {
      expect((await ticketOf('owner', id)).statusCode).toBe(404);
    }
  });

  it('status polls are limited per customer (429 pointing at the event stream)', async () => {
    await start(10, { STATUS_POLLS_PER_SECOND: '3' });
    const ticket = (await orderAs('poller')).json();
    const bearer = await identity.bearer('poller');
    const polls = [];
    for (let i = 0; i < 6; i++)
      polls.push(
        await running().app.inject({
          method: 'GET',
          url: `/api/orders/${ticket.orderId}`,
          headers: { authorization: bearer },
        }),
      );
    expect(polls.map((poll) => poll.statusCode)).toEqual([200, 200, 200, 429, 429, 429]);
    expect(polls[3]?.json()).toMatchObject({
      reason: 'rate_limited',
      message: expect.stringContaining('/api/sale/events'),
    });
    // Another customer's polls are theirs to spend; and ordering is a separate allowance.
    expect((await ticketOf('other', ticket.orderId)).statusCode).toBe(404);
  });

  it('Idempotency-Key: 20 concurrent sends of one key are one order and one ticket; the key with another body is a 422', async () => {
    await start(10, { RATE_LIMIT_PER_SECOND: '1000' });
    const bearer = await identity.bearer('careful');
    const send = (body?: string, key = 'checkout-1') => post({ authorization: bearer, 'idempotency-key': key }, body);
    const answers = await Promise.all(Array.from({ length: 20 }, () => send()));
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(202));
    const tickets = new Set(answers.map((answer) => answer.json().orderId));
    expect(tickets.size).toBe(1);
    expect(await written()).toBe(1);
    const [orderId] = tickets;

    const reused = await send(JSON.stringify({ customerId: identity.sub('careful') }));
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ reason: 'idempotency_key_reused' });
    expect((await send('{}', 'not a key!')).json()).toMatchObject({ statusCode: 400, field: 'Idempotency-Key' });

    // Decided, the same key still answers the same ticket (not 409); another customer's same key is their own.
    await decide();
    expect((await send()).json()).toMatchObject({ orderId });
    const someoneElse = await orderAs('carefree', { 'idempotency-key': 'checkout-1' });
    expect(someoneElse.statusCode).toBe(202);
    expect(someoneElse.json().orderId).not.toBe(orderId);
    expect((await ticketOf('careful', orderId)).json()).toMatchObject({ status: 'completed' });
    expect(await client.hlen(running().sale.decisions)).toBe(1);
  });

  /** Stands in for order-generation and the completion trigger: every customer entry decided. */
  async function decide(): Promise<void> {
    const { sale } = running();
    for (const [id, fields] of (await client.xrange(sale.customers, '-', '+')) as [string, string[]][]) {
      const customer = JSON.parse(fields[fields.indexOf('data') + 1] as string);
      await client.xadd(
        sale.orders,
        '*',
        'v',
        '1',
        'data',
        JSON.stringify({ ...customer, orderedAt: Date.now(), customerEntryId: id }),
      );
    }
    const trigger = new FulfilmentTrigger({ redis: client, sale, consumer: 'test' });
    await trigger.ensureGroup();
    while ((await trigger.poll()).decided.length > 0);
  }
});
