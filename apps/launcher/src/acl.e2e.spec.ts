import { completionContract, customerContract, saleReportContract } from '@popup-store/contracts';
import { groupDrained, POPUP_LIBRARY, ROOM_DEFAULTS, SaleGears, SaleRegistry } from '@popup-store/gears-client';
import {
  admissionPassKey,
  deadLetterStream,
  groupsOf,
  runArchive,
  SALE_REGISTRY_KEY,
  saleKeys,
  type SaleKeys,
} from '@popup-store/keys';
import { eventually } from '@popup-store/redis-harness';
import { freePort, RedisServerProcess } from '@popup-store/redis-process';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startOver } from './lib/start-over';
import { undecidedTickets } from './lib/ticket-check';
import { openSale, postOrder, startServices, type RunningServices } from './test/pipeline';
import { entryFields } from '@popup-store/streams-transport';

const DEPLOY = resolve(__dirname, '../../../deploy');
const ACL_FILE = join(DEPLOY, 'redis/users.acl');
const ADMIN_TOKEN = 'acl-operator-token-0123456789';

/** Each ACL user and the deploy/.env variable holding its password. */
const PASSWORDS = {
  'customer-intake': 'REDIS_INTAKE_PASSWORD',
  'order-generation': 'REDIS_ORDER_GENERATION_PASSWORD',
  'fulfilment-auditing': 'REDIS_FULFILMENT_AUDITING_PASSWORD',
  'metrics-export': 'REDIS_METRICS_EXPORT_PASSWORD',
  grafana: 'REDIS_GRAFANA_PASSWORD',
  operator: 'REDIS_OPERATOR_PASSWORD',
} as const;
type User = keyof typeof PASSWORDS;

/**
 * deploy/redis/users.acl on a real redis-server: every service, as a process with its own user in REDIS_URL,
 * plays a small sale through, so the rights are enough; and every user is refused (NOPERM) what it must not do.
 */
describe('least-privilege Redis users (deploy/redis/users.acl)', () => {
  let server: RedisServerProcess;
  let dir: string;
  let passwords: Record<string, string>;
  let tls: { port: number; ca: string; cert: string; key: string };
  const clients: Redis[] = [];
  const url = (user: User) =>
    `redis://${user}:${encodeURIComponent(passwords[PASSWORDS[user]] as string)}@127.0.0.1:${server.port}`;
  /** The same user over TLS, on the name the server's certificate is for. */
  const tlsUrl = (user: User) => {
    const plain = new URL(url(user));
    return `rediss://${plain.username}:${plain.password}@localhost:${tls.port}`;
  };
  const as = (user: User) => {
    const client = new Redis(url(user), { maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'popup-acl-'));
    passwords = dotEnv(await readFile(join(DEPLOY, '.env'), 'utf8'));
    tls = { port: await freePort(), ...(await certificates(dir)) };
    server = await startWithAcl(dir, [
      ...['--tls-port', String(tls.port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key],
      ...['--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'],
    ]);
    // Certificates made by openssl and a Redis started with them: more than jest's 5 s on a loaded machine.
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  describe('a sale with a user per service', () => {
    let operator: Redis;
    let sale: SaleKeys;
    let services: RunningServices;

    beforeAll(async () => {
      operator = as('operator');
      // As the launcher does: the operator deletes an earlier run's keys, loads the gears and opens the sale.
      await startOver(operator, saleKeys('acl'));
      sale = await openSale(operator, 'acl', 30);
      const own = (user: Exclude<User, 'grafana' | 'operator'>) => ({ REDIS_URL: url(user) });
      services = await startServices({
        redisUrl: server.url,
        saleId: sale.saleId,
        dataDir: dir,
        observer: operator,
        env: {
          'customer-intake': { ...own('customer-intake'), ADMIN_REDIS_URL: url('operator'), ADMIN_TOKEN },
          'order-generation': own('order-generation'),
          'fulfilment-auditing': own('fulfilment-auditing'),
          'metrics-export': own('metrics-export'),
        },
      });
    }, 90_000);

    afterAll(() => services?.stop());

    it('is played through: orders decided, malformed entries dead-lettered, series written, the sale closed by the operator endpoint, a clean report', async () => {
      // Malformed entries make every reader use its dead-letter rights.
      await operator.xadd(sale.customers, '*', ...entryFields(customerContract, 'not json'));
      await operator.xadd(sale.completed, '*', ...entryFields(completionContract, 'not json'));
      const tickets: string[] = [];
      for (let i = 0; i < 40; i++) {
        const answer = await postOrder(services, `customer-${i % 32}`);
        expect([200, 202, 409, 410]).toContain(answer.status);
        if (answer.status === 202) tickets.push(answer.body['orderId'] as string);
      }
      const owner = { authorization: await services.identity.bearer('customer-0') };
      expect((await fetch(`${services.intakeUrl}/api/orders/${tickets[0]}`, { headers: owner })).status).toBe(200);
      await eventually(
        async () => (await undecidedTickets(operator, sale, tickets)).length === 0,
        'every ticket decided',
        30_000,
      );
      const closed = await fetch(`${services.intakeUrl}/api/admin/sale/state`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ state: 'closed' }),
      });
      expect([closed.status, await closed.text()]).toEqual([200, expect.any(String)]);
      await eventually(async () => (await operator.get(sale.report)) !== null, 'the report', 30_000);
      const report = saleReportContract.schema.parse(JSON.parse((await operator.get(sale.report)) as string));
      expect(report).toMatchObject({ ok: true, sold: 30, lost: 0, oversold: 0, duplicates: 0, deadLettered: 1 });
      // The auditor's ledger entered every completion (popup_audit_claims, under its own user).
      await eventually(async () => (await operator.hlen(sale.auditUnits)) === 30, 'every completion in the ledger');
      expect(await operator.xlen(deadLetterStream(sale.completed))).toBe(2);
      await eventually(async () => (await operator.exists(`${sale.tag}:ts:stock:left`)) === 1, 'a metrics series');
      expect(services.restartLog).toEqual([]);
      // Stopped first, so the shutdown's commands (CLIENT UNBLOCK of the blocking reads) are in the logs too.
      await services.stop();
      for (const log of await readdir(services.logDir)) {
        expect([log, await readFile(join(services.logDir, log), 'utf8')]).toEqual([
          log,
          expect.not.stringMatching(/NOPERM/),
        ]);
      }
    }, 120_000);
  });

  it('lets fulfilment-auditing load the gears, and the consumers end their own blocking reads', async () => {
    const auditing = as('fulfilment-auditing');
    expect(await auditing.call('FUNCTION', 'LOAD', 'REPLACE', POPUP_LIBRARY.source)).toBe('popup');
    for (const user of ['order-generation', 'fulfilment-auditing', 'metrics-export'] as const) {
      const client = as(user);
      expect(await client.client('UNBLOCK', (await client.client('ID')) as number)).toBe(0);
    }
  });

  it('lets fulfilment-auditing decide a second customer entry of a decided order, delete it and count it', async () => {
    const operator = as('operator');
    const sale = await openSale(operator, 'acl-replayed', 5);
    const submittedAt = Date.now();
    // The two entries an intake leaves when it retries a write whose WAIT failed, and the order read from each.
    const entry = () =>
      operator.xadd(
        sale.customers,
        '*',
        ...entryFields(customerContract, JSON.stringify({ orderId: 'acl-r1', customerId: 'ann', submittedAt })),
      ) as Promise<string>;
    const first = await entry();
    const second = await entry();
    const order = (entryId: string, customerEntryId: string) => ({
      entryId, orderId: 'acl-r1', customerId: 'ann', submittedAt, customerEntryId,
    });
    const gears = new SaleGears(as('fulfilment-auditing'), sale);
    await gears.decide([order('1-1', first)]);
    await expect(gears.decide([order('1-2', second)])).resolves.toEqual([expect.objectContaining({ replayed: true })]);
    expect(await operator.xlen(sale.customers)).toBe(0);
    expect((await gears.status()).replayed).toBe(1);
  });

  it("lets each consumer read what LiveSales needs: the registry, a sale's status, its groups on the streams read", async () => {
    const operator = as('operator');
    for (const user of ['order-generation', 'fulfilment-auditing', 'metrics-export'] as const) {
      const sale = await openSale(operator, `acl-live-${user}`, 5);
      const client = as(user);
      await expect(new SaleRegistry(client).list()).resolves.toEqual(expect.any(Array));
      expect((await new SaleGears(client, sale).status()).phase).toBe('open');
      for (const { stream, group } of groupsOf(sale, user)) {
        await expect(groupDrained(client, stream, group)).resolves.toBe(true);
        // An entry unread after one deleted: the group's lag is unknown, so XINFO STREAM tells it is not drained.
        await operator.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch(() => undefined);
        const deleted = (await operator.xadd(stream, '*', 'v', '1')) as string;
        await operator.xadd(stream, '*', 'v', '2');
        await operator.xdel(stream, deleted);
        await expect(groupDrained(client, stream, group)).resolves.toBe(false);
      }
    }
  });

  it('lets customer-intake keep the waiting room, and the operator switch it', async () => {
    const operator = as('operator');
    const sale = await openSale(operator, 'acl-room', 5);
    await new SaleGears(operator, sale).configureRoom({ ...ROOM_DEFAULTS, on: true, admitPerSecond: 1000 });
    const intake = new SaleGears(as('customer-intake'), sale);
    expect((await intake.joinRoom(await intake.status(), 'ada')).whereabouts.where).toMatch(/waiting|admitted/);
    await eventually(
      async () => (await intake.watchRoom(await intake.status(), ['ada'])).customers[0]?.where === 'admitted',
      'ada admitted',
    );
    expect(await intake.redis.set(admissionPassKey(sale, 'p1'), 'k1', 'PX', 60_000, 'NX', 'GET')).toBeNull();
    // Still nothing more: the room's keys and passes, not the sale's state.
    await expect(intake.redis.hset(sale.state, 'left', 99)).rejects.toThrow(/NOPERM/);
  });

  it('lets customer-intake take an order in one call that only reads the buyers hash', async () => {
    const operator = as('operator');
    const sale = await openSale(operator, 'acl-take', 5);
    const intake = as('customer-intake');
    const gears = new SaleGears(intake, sale);
    const entry = (customerId: string) =>
      entryFields(customerContract, JSON.stringify({ orderId: `o-${customerId}`, customerId, submittedAt: 1 }));
    const id = await gears.takeOrder({ customerId: 'ada', fields: entry('ada') });
    expect(await operator.xrange(sale.customers, '-', '+')).toEqual([[id, entry('ada')]]);
    await operator.hset(sale.buyers, 'bob', 'o-0:1');
    await expect(gears.takeOrder({ customerId: 'bob', fields: entry('bob') })).resolves.toBeNull();
    // FCALL's write access to the buyers hash is the function's only: the commands inside are checked against the
    // user's rights, so with the keys named the other way round the XADD to buyers is refused, and nothing else
    // writes the hash.
    const fresh = await openSale(operator, 'acl-take-swapped', 5);
    const swapped = ['FCALL', 'popup_take_order', '2', fresh.customers, fresh.buyers, 'eve', ...entry('eve')];
    await expect(intake.call(...(swapped as [string, ...string[]]))).rejects.toThrow(/can't access/);
    expect(await operator.exists(fresh.buyers, fresh.customers)).toBe(0);
    await expect(intake.hset(sale.buyers, 'eve', 'o:1')).rejects.toThrow(/NOPERM/);
    await expect(intake.hdel(sale.buyers, 'bob')).rejects.toThrow(/NOPERM/);
    expect(await operator.hgetall(sale.buyers)).toEqual({ bob: 'o-0:1' });
    expect(await operator.xlen(sale.customers)).toBe(1);
  });

  it('lets the operator register a sale and start it over as a new run, and customer-intake read both', async () => {
    const operator = as('operator');
    const sale = await openSale(operator, 'acl-runs', 5);
    await new SaleRegistry(operator).register(sale.saleId);
    const intake = as('customer-intake');
    expect((await new SaleRegistry(intake).list()).map(({ saleId }) => saleId)).toContain(sale.saleId);
    // A unit sold, as the gears record it.
    await operator.hset(sale.state, 'completed', 1, 'left', 4);
    await operator.hset(sale.decisions, 'acl-o1', 'completed:1:1');
    const now = Number((await operator.time())[0]) * 1000;
    await expect(
      new SaleGears(operator, sale).configure({ stock: 5, startsAt: now, endsAt: now + 60_000, force: true }),
    ).resolves.toEqual({ soldBefore: 1, run: 2 });
    expect(await intake.hget(runArchive(sale, 1).decisions, 'acl-o1')).toMatch(/^completed:1:/);
    await expect(new SaleRegistry(intake).register(sale.saleId)).rejects.toThrow(/NOPERM/);
  });

  it('runs the services over TLS with rediss:// URLs (the only address they are given), as their own users', async () => {
    const operator = as('operator');
    const sale = await openSale(operator, 'acl-tls', 5);
    const services = await startServices({
      redisUrl: tlsUrl('operator'),
      saleId: sale.saleId,
      dataDir: join(dir, 'tls'),
      observer: operator,
      env: Object.fromEntries(
        (['customer-intake', 'order-generation', 'fulfilment-auditing', 'metrics-export'] as const).map((name) => [
          name,
          // The test CA is not one Node trusts: NODE_EXTRA_CA_CERTS adds it, as a deployment would its own CA.
          { REDIS_URL: tlsUrl(name), NODE_EXTRA_CA_CERTS: tls.ca },
        ]),
      ),
    });
    try {
      const answer = await postOrder(services, 'over-tls');
      expect(answer.status).toBe(202);
      await eventually(
        async () => (await operator.hget(sale.decisions, answer.body['orderId'] as string)) !== null,
        'the order decided',
        20_000,
      );
      expect(services.restartLog).toEqual([]);
    } finally {
      await services.stop();
    }
  }, 90_000);

  describe('each user is refused outside its rights', () => {
    const sale = '{sale:acl}';
    const decide = [
      'FCALL',
      'popup_decide_orders',
      '7',
      ...['state', 'buyers', 'decisions', 'orders', 'customers', 'completed', 'rejected'].map((k) => `${sale}:${k}`),
      'fulfilment',
    ];
    const beyondEveryone = [['FLUSHALL'], ['CONFIG', 'GET', '*'], ['KEYS', '*'], ['SHUTDOWN'], ['ACL', 'LIST']];
    const refused: Record<User | 'default', string[][]> = {
      'customer-intake': [
        decide,
        ['ZADD', 'popup:sales', '1', 'mallory'],
        ['HSET', `${sale}:run:1:decisions`, 'o', 'completed:1:1'],
        ['RENAME', `${sale}:decisions`, `${sale}:run:9:decisions`],
        ['HSET', `${sale}:buyers`, 'mallory', 'o:1'],
        ['DEL', `${sale}:buyers`],
        ['XADD', `${sale}:orders`, '*', 'field', 'value'],
        ['XADD', `${sale}:completed`, '*', 'field', 'value'],
        ['XDEL', `${sale}:customers`, '1-0'],
        ['FCALL', 'popup_set_sale_state', '1', `${sale}:state`, 'closed'],
        // The one function it may call with write access, on any key but the two it takes.
        ['FCALL', 'popup_take_order', '2', `${sale}:buyers`, `${sale}:state`, 'mallory', 'v', '1', 'data', '{}'],
        ['FCALL', 'popup_take_order', '2', `${sale}:buyers`, `${sale}:orders`, 'mallory', 'v', '1', 'data', '{}'],
        ['FUNCTION', 'LOAD', 'REPLACE', '#!lua name=x\nredis.register_function("x", function() end)'],
      ],
      'order-generation': [
        decide,
        ['XADD', `${sale}:customers`, '*', 'field', 'value'],
        ['XADD', `${sale}:completed`, '*', 'field', 'value'],
        ['HSET', `${sale}:buyers`, 'mallory', 'o:1'],
        ['HGET', `${sale}:state`, 'left'],
        ['GET', `${sale}:report`],
        ['ZADD', SALE_REGISTRY_KEY, '1', 'mallory'],
      ],
      'fulfilment-auditing': [
        ['ZADD', SALE_REGISTRY_KEY, '1', 'mallory'],
        ['XADD', `${sale}:customers`, '*', 'field', 'value'],
        ['XADD', `${sale}:orders`, '*', 'field', 'value'],
        ['XDEL', `${sale}:completed`, '1-0'],
        ['DEL', `${sale}:buyers`],
        ['FCALL', 'popup_set_sale_state', '1', `${sale}:state`, 'open'],
        [
          'FCALL',
          'popup_configure_sale',
          '3',
          `${sale}:state`,
          `${sale}:buyers`,
          `${sale}:decisions`,
          '1',
          '0',
          '1',
          '1',
        ],
        ['FUNCTION', 'FLUSH'],
        ['XADD', `${sale}:ts:stock:left`, '*', 'value', '0'],
      ],
      'metrics-export': [
        decide,
        ['XADD', `${sale}:completed`, '*', 'field', 'value'],
        ['XADD', `${sale}:customers`, '*', 'field', 'value'],
        ['HSET', `${sale}:state`, 'left', '1000'],
        ['XREADGROUP', 'GROUP', 'fulfilment', 'm', 'STREAMS', `${sale}:orders`, '>'],
        ['GET', `${sale}:report`],
        ['ZREM', SALE_REGISTRY_KEY, 'popup'],
      ],
      grafana: [
        ['XADD', `${sale}:completed`, '*', 'field', 'value'],
        ['HSET', `${sale}:state`, 'left', '1000'],
        ['DEL', `${sale}:report`],
        ['FCALL_RO', 'popup_sale_status', '1', `${sale}:state`],
      ],
      operator: [
        ['FUNCTION', 'FLUSH'],
        ['FUNCTION', 'DELETE', 'popup'],
        ['GET', 'not-a-sale-key'],
        ['CLIENT', 'KILL', 'ID', '1'],
      ],
      default: [['GET', `${sale}:report`], ['INFO'], ['XADD', `${sale}:customers`, '*', 'field', 'value']],
    };

    it.each(Object.keys(refused) as (User | 'default')[])('%s', async (user) => {
      // The default user may not run INFO, ioredis's ready check.
      const client =
        user === 'default' ? new Redis(server.url, { maxRetriesPerRequest: 1, enableReadyCheck: false }) : as(user);
      clients.push(client);
      const commands = user === 'default' ? refused[user] : [...refused[user], ...beyondEveryone];
      for (const [command, ...args] of commands) {
        const outcome = await client.call(command as string, ...args).then(
          (reply) => `allowed: ${String(reply)}`,
          (error: Error) => error.message,
        );
        expect([command, ...args.slice(0, 2), outcome]).toEqual([
          command,
          ...args.slice(0, 2),
          expect.stringMatching(/^NOPERM/),
        ]);
      }
    });
  });
});

/**
 * redis-server with the repository's ACL file. A Redis without RedisTimeSeries (before 8) refuses rules naming
 * TS.* commands, so for it they are left out: metrics-export then writes its series as streams, which the
 * file allows too.
 */
async function startWithAcl(dir: string, extraArgs: string[]): Promise<RedisServerProcess> {
  try {
    return await RedisServerProcess.start({ extraArgs: ['--aclfile', ACL_FILE, ...extraArgs] });
  } catch (error) {
    if (!/Unknown command or category name in ACL/.test(String(error))) throw error;
    const withoutTimeSeries = (await readFile(ACL_FILE, 'utf8'))
      .replace(/ \([^)]*\+ts\.[^)]*\)/g, '')
      .replace(/ \+ts\.[a-z]+/g, '');
    const file = join(dir, 'users-without-timeseries.acl');
    await writeFile(file, withoutTimeSeries);
    return RedisServerProcess.start({ extraArgs: ['--aclfile', file, ...extraArgs] });
  }
}

/** A throwaway CA and a certificate it signed for localhost, made with the openssl CLI. */
async function certificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  await writeFile(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=popup-test-ca',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'redis.key',
    '-out',
    'redis.csr',
    '-subj',
    '/CN=localhost',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'redis.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'redis.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  return { ca: file('ca.crt'), cert: file('redis.crt'), key: file('redis.key') };
}

/** KEY=VALUE lines of deploy/.env. */
function dotEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, key, value]) => [key as string, value as string]),
  );
}
