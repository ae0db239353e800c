import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { connect } from 'node:net';
import { AppModule } from '../app/app.module';
import { intakeHttpAdapter } from '../app/http-adapter';
import { intakeConfig, type IntakeConfig } from '../app/intake-config';
import { generateSigningKey } from '@popup-store/customer-identity';
import { createHash } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { idempotencyKeyHeader, OrderRequestDto } from '../orders/order-request.dto';
import { TEST_ISSUER, testIdentity, type TestIdentity } from '../test/test-identity';

const TOKEN = 'fuzz-operator-token-0123456789';
/** The customers the fuzzer signs in as. */
const NAMES = ['ann', 'bob', 'cid', 'dee'];
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);

interface Attempt {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer | undefined;
}

/**
 * Property-based fuzzing of the HTTP API against a real Redis: whatever arrives, intake answers a 4xx with a
 * `reason` (or a 2xx for what is valid), never a 5xx, never crashes, and writes an order only for a valid one.
 */
describe('customer-intake HTTP API under fuzzing', () => {
  let redis: TestRedis;
  let client: Redis;
  let identity: TestIdentity;
  /** `Authorization` values: each customer's valid one, forged ones, and junk. */
  let authorizations: fc.Arbitrary<string>;
  /** The customer each valid `Authorization` names. */
  const customerOf = new Map<string, string>();
  const apps: NestFastifyApplication[] = [];

  async function startIntake(saleId: string): Promise<{ app: NestFastifyApplication; sale: SaleKeys }> {
    const sale = saleKeys(saleId);
    const [seconds] = await client.time();
    const now = Number(seconds) * 1000;
    await new SaleGears(client, sale).configure({ stock: 1_000_000, startsAt: now - 1000, endsAt: now + 600_000 });
    const config = intakeConfig({
      REDIS_URL: redis.url,
      SALE_ID: sale.saleId,
      LOG_LEVEL: 'silent',
      // The sale is open before intake starts, and stays so: a slow refresh keeps a busy event loop (huge
      // headers on two shared cores) from making the snapshot look stale, which would answer 503.
      STATUS_REFRESH_MS: '1000',
      REDIS_TIMEOUT_MS: '10000',
      // Fuzzing sends thousands of requests from one address: the limits have their own tests (intake.spec.ts).
      RATE_LIMIT_PER_SECOND: '1000000',
      MAX_BACKLOG: '1000000',
      ADMIN_TOKEN: TOKEN,
      MAX_CUSTOMERS_PER_ADDRESS: '1000000',
      STATUS_POLLS_PER_SECOND: '1000000',
      // The fuzzer's own work lags the event loop it shares with intake: shedding has its own tests (bounds.spec.ts).
      MAX_EVENT_LOOP_DELAY_MS: '60000',
      ...identity.env,
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(intakeHttpAdapter(config), { logger: false });
    app.setGlobalPrefix('api', { exclude: ['health/live', 'health/ready'] });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    apps.push(app);
    expect((await app.inject({ method: 'GET', url: '/api/sale' })).json()).toMatchObject({ phase: 'open' });
    return { app, sale };
  }

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    await loadGears(client);
    identity = await testIdentity();
    const valid = await Promise.all(NAMES.map((name) => identity.bearer(name)));
    // The scheme is case-insensitive and may be followed by more than one space (RFC 9110 §11.1).
    const spelled = (bearer: string) => bearer.replace('Bearer ', 'bearer  ');
    valid.forEach((bearer, i) => {
      customerOf.set(bearer, identity.sub(NAMES[i] as string));
      customerOf.set(spelled(bearer), identity.sub(NAMES[i] as string));
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: identity.sub('ann'), iss: TEST_ISSUER, aud: 'popup-store', iat: now, exp: now + 3600 };
    const forged = [
      await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign((await generateSigningKey()).privateKey),
      new UnsecuredJWT(claims).encode(),
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(identity.env['CUSTOMER_TOKEN_PUBLIC_KEY'])),
      await new SignJWT({ ...claims, exp: now - 600, iat: now - 1200 })
        .setProtectedHeader({ alg: 'ES256', kid: identity.key.publicJwk.kid })
        .sign(identity.key.privateKey),
    ];
    authorizations = fc.oneof(
      { arbitrary: fc.constantFrom(...valid), weight: 4 },
      fc.constantFrom(...forged).map((jwt) => `Bearer ${jwt}`),
      fc.constantFrom(...valid).map((bearer) => bearer.slice(0, -3)),
      fc.constantFrom(...valid).map(spelled),
      headerValue.map((value) => `Bearer ${value}`),
      headerValue,
    );
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis?.dispose();
  });

  /** Sends one attempt and checks the answer's shape; returns the status. */
  async function send(app: NestFastifyApplication, attempt: Attempt): Promise<number> {
    const response = await app.inject({
      method: attempt.method as 'GET',
      url: attempt.url,
      headers: attempt.headers,
      ...(attempt.body === undefined ? {} : { payload: attempt.body }),
    });
    const what = `${attempt.method} ${attempt.url.slice(0, 80)} -> ${response.statusCode} ${response.body.slice(0, 200)}`;
    if (response.statusCode >= 500) throw new Error(`5xx: ${what}`);
    if (response.statusCode >= 400 && attempt.method !== 'HEAD') {
      const body = parseJson(response.body);
      if (typeof body?.['reason'] !== 'string') throw new Error(`a refusal without a reason: ${what}`);
    }
    return response.statusCode;
  }

  it('POST /api/orders: any body, media type, charset, encoding, header size, Authorization or Idempotency-Key gets a 4xx with a reason, or 202 for a valid order, and only valid orders are written', async () => {
    const { app, sale } = await startIntake(`${redis.namespace}-orders`);
    let written = 0;
    let accepted = 0;
    /** The body hash of each Idempotency-Key a customer used first. */
    const keys = new Map<string, { bodyHash: string }>();
    await fc.assert(
      fc.asyncProperty(orderAttempt(authorizations), async (attempt) => {
        const status = await send(app, attempt);
        const expected = expectedAnswer(attempt, customerOf, keys, { BODY_LIMIT_BYTES: 1024 });
        if (status === 202) accepted++;
        if (expected === 'new') {
          expect(status).toBe(202);
          written++;
        } else if (expected === 'replay') {
          expect(status).toBe(202);
        } else if (expected === 'reused') {
          expect(status).toBe(422);
        } else {
          expect(status).not.toBe(202);
        }
      }),
      { numRuns: RUNS * 3 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(await client.xlen(sale.customers)).toBe(written);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  }, 120_000);

  it('any method and path under /api, with any body and headers, gets an answer below 500, every refusal with a reason', async () => {
    const { app, sale } = await startIntake(`${redis.namespace}-paths`);
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ method, url: apiUrl, headers: requestHeaders, body: fc.option(body, { nil: undefined }) }),
        async (attempt) => {
          fc.pre(!isEventStream(attempt));
          if ((await send(app, attempt)) === 202) accepted++;
        },
      ),
      { numRuns: RUNS * 3 },
    );
    expect(await client.xlen(sale.customers)).toBe(accepted);
  }, 120_000);

  it('the operator endpoints, with the token and any body, answer below 500 with a reason for every refusal', async () => {
    const { app } = await startIntake(`${redis.namespace}-admin`);
    const epoch = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(Number.MAX_SAFE_INTEGER), fc.jsonValue());
    const settings = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          units: fc.oneof(fc.nat(1000), fc.integer(), fc.maxSafeInteger(), fc.double(), fc.jsonValue()),
          startsAt: epoch,
          endsAt: epoch,
          durationSeconds: fc.oneof(fc.integer(), fc.jsonValue()),
          force: fc.oneof(fc.boolean(), fc.jsonValue()),
        },
        { requiredKeys: ['units'] },
      ),
    );
    const state = fc.oneof(
      fc.jsonValue(),
      fc.record({ state: fc.oneof(fc.constantFrom('open', 'closed'), fc.jsonValue()) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constant('/api/admin/sale'), settings),
          fc.tuple(fc.constant('/api/admin/sale/state'), state),
        ),
        async ([url, value]) => {
          await send(app, {
            method: 'PUT',
            url,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify(value),
          });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  }, 120_000);

  it('over a real socket, oversized headers and broken requests get a 4xx with a reason, and the server keeps serving', async () => {
    const { app } = await startIntake(`${redis.namespace}-socket`);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const raw = [
      `GET /api/sale HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(40_000)}\r\n\r\n`,
      `GET /api/sale HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
      'NOT A REQUEST\r\n\r\n',
      'GET /api/sale HTTP/9.9\r\n\r\n',
      'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'POST /api/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc',
      '\x00\x01\x02\xff\r\n\r\n',
    ];
    for (const request of raw) {
      const answer = await rawExchange(port, request);
      const [statusLine = '', ...rest] = answer.split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      expect([request.slice(0, 30), status >= 400 && status < 500]).toEqual([request.slice(0, 30), true]);
      expect(parseJson(rest.slice(rest.indexOf('') + 1).join('\r\n'))?.['reason']).toEqual(expect.any(String));
    }
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
  }, 60_000);
});

/**
 * What intake should answer: `new` (202, an order written), `replay` (202, the ticket of an earlier request with
 * the same Idempotency-Key), `reused` (422, the key with another body) or `refused` (anything but 202). An order
 * is valid with a valid token, JSON in UTF-8, unencoded, small, a valid body naming no other customer (or no
 * body and no media type) and a well-formed Idempotency-Key if any. Records the keys it sees used first.
 */
function expectedAnswer(
  { headers, body }: Attempt,
  customerOf: ReadonlyMap<string, string>,
  keys: Map<string, { bodyHash: string }>,
  config: Pick<IntakeConfig, 'BODY_LIMIT_BYTES'>,
): 'new' | 'replay' | 'reused' | 'refused' {
  const customer = customerOf.get(headers['authorization'] ?? '');
  if (!customer) return 'refused';
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return 'refused';
  const [type = '', ...params] = (headers['content-type'] ?? '').split(';');
  const charset = params.map((param) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(param)?.[1]).find(Boolean);
  if (charset && !['utf-8', 'utf8', 'us-ascii'].includes(charset.toLowerCase())) return 'refused';
  const mediaType = type.trim().toLowerCase();
  let parsed: unknown;
  if (body === undefined || body.length === 0) {
    // No body to read: fine without a media type, or with the form type Nest's Fastify adapter parses (to {}).
    if (headers['content-type'] !== undefined && mediaType !== 'application/x-www-form-urlencoded') return 'refused';
  } else {
    if (mediaType !== 'application/json') return 'refused';
    if (Buffer.byteLength(body) > config.BODY_LIMIT_BYTES) return 'refused';
    // Fastify's JSON parser drops a leading byte order mark, which JSON.parse refuses.
    parsed = parseJson(body.toString().replace(/^\uFEFF/, ''));
    if (parsed === undefined) return 'refused';
  }
  const dto = OrderRequestDto.schema.safeParse(parsed);
  if (!dto.success) return 'refused';
  const request = dto.data as { customerId?: string };
  if (request.customerId !== undefined && request.customerId !== customer) return 'refused';
  const key = headers['idempotency-key'];
  if (key === undefined) return 'new';
  if (!idempotencyKeyHeader.safeParse(key).success) return 'refused';
  const bodyHash = createHash('sha256').update(JSON.stringify(request)).digest('base64url');
  const earlier = keys.get(`${customer} ${key}`);
  if (!earlier) {
    keys.set(`${customer} ${key}`, { bodyHash });
    return 'new';
  }
  return earlier.bodyHash === bodyHash ? 'replay' : 'reused';
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `GET /api/sale/events` is a stream that never ends: it has its own tests, not these. */
function isEventStream({ method, url }: Attempt): boolean {
  let path = url.split('?')[0] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // An undecodable path cannot route to the stream.
  }
  return (method === 'GET' || method === 'HEAD') && /^\/+api\/+sale\/+events\/*$/.test(path);
}

function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${request.slice(0, 30)}`)));
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.write(Buffer.from(request, 'latin1'));
  });
}

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const headerValue = fc.oneof(
  fc.string({ unit: printable, maxLength: 64 }),
  fc
    .tuple(fc.string({ unit: printable, minLength: 1, maxLength: 4 }), fc.integer({ min: 1000, max: 20_000 }))
    .map(([text, times]) => text.repeat(times)),
);
const customerId = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,64}$/);
const huge = fc
  .tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 100, max: 50_000 }))
  .map(([text, times]) => text.repeat(times));
const body: fc.Arbitrary<string | Buffer> = fc.oneof(
  customerId.map((id) => JSON.stringify({ customerId: id })),
  fc
    .record(
      { customerId: fc.oneof(customerId, fc.string(), fc.jsonValue()), extra: fc.jsonValue() },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '{"customerId": ',
    '{"__proto__":{"customerId":"x"}}',
    '{"constructor":{"prototype":{}}}',
    '\uFEFF{"customerId":"bom"}',
  ),
  huge,
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json; charset="UTF-8"',
    'application/json;charset=us-ascii',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; boundary=x',
    'application/merge-patch+json',
    'application/xml',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '*/*',
    '',
  ),
  fc.string({ unit: printable, maxLength: 80 }),
);
const contentEncoding = fc.constantFrom('gzip', 'GZIP', 'deflate', 'br', 'identity', 'gzip, identity', 'x-none', '');
const requestHeaders = fc
  .record(
    {
      'content-type': contentType,
      'content-encoding': contentEncoding,
      accept: fc.constantFrom('*/*', 'text/event-stream', 'application/xml'),
      authorization: fc.oneof(fc.constant(`Bearer ${TOKEN.slice(1)}`), headerValue),
    },
    { requiredKeys: [] },
  )
  .chain((known) =>
    fc
      .dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), headerValue, { maxKeys: 20 })
      .map((extra) => ({ ...extra, ...known })),
  );
const idempotencyKey = fc.oneof(
  fc.constantFrom('checkout-1', 'checkout-2', 'a:b.c_d-e'),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/),
  headerValue,
);
/** An order: the headers above, and an Authorization and Idempotency-Key (each sometimes absent). */
const orderAttempt = (authorization: fc.Arbitrary<string>): fc.Arbitrary<Attempt> =>
  fc.record({
    method: fc.constant('POST'),
    url: fc.constantFrom('/api/orders', '/api/orders?', '/api/orders?customerId=x'),
    headers: fc
      .tuple(requestHeaders, fc.record({ authorization, 'idempotency-key': idempotencyKey }, { requiredKeys: [] }))
      .map(([headers, identity]) => ({ ...headers, ...identity })),
    body: fc.option(
      fc.oneof(
        body,
        fc.constantFrom(...NAMES).map(() => '{}'),
      ),
      { nil: undefined },
    ),
  });
const method = fc.constantFrom(
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'SEARCH',
  'PROPFIND',
);
const segment = fc.oneof(
  fc.constantFrom(
    'orders',
    'sale',
    'admin',
    'state',
    'events',
    'health',
    'ready',
    '',
    '.',
    '..',
    '%2e%2e',
    '%00',
    '%ff',
    '%',
    '%2F',
  ),
  fc.stringMatching(/^[A-Za-z0-9._~:@!$&'()*+,;=-]{1,40}$/),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 100, max: 3000 }).map((length) => 'a'.repeat(length)),
);
const apiUrl = fc
  .tuple(fc.array(segment, { minLength: 0, maxLength: 4 }), fc.option(fc.string({ unit: printable, maxLength: 40 })))
  .map(([segments, query]) => `/api/${segments.join('/')}${query === null ? '' : `?${encodeURI(query)}`}`);
