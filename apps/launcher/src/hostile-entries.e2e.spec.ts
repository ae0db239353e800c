import { customerContract, type DeadLetter, deadLetterContract, saleReportContract } from '@popup-store/contracts';
import { SaleGears } from '@popup-store/gears-client';
import { ConsumerGroup, deadLetterStream, type SaleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROCESS_NAMES } from '@popup-store/service-runner';
import { openSale, postOrder, startServices, type RunningServices } from './test/pipeline';
import { entryFields, readPayloads } from '@popup-store/streams-transport';

const UNITS = 100;
const CUSTOMERS = 40;

/** A valid payload of each stream the entries below are injected into, for the cases that break only the framing. */
const valid = {
  customers: () =>
    JSON.stringify({ orderId: `hostile-${Math.random()}`, customerId: 'mallory', submittedAt: Date.now() }),
  orders: () =>
    JSON.stringify({
      orderId: `hostile-${Math.random()}`,
      customerId: 'mallory',
      submittedAt: Date.now(),
      orderedAt: Date.now(),
      customerEntryId: '1-0',
    }),
  completed: () =>
    JSON.stringify({
      orderId: 'forged',
      customerId: 'mallory',
      unit: 1,
      submittedAt: Date.now(),
      completedAt: Date.now(),
    }),
};
type Stream = keyof typeof valid;

/** Entries as `redis-cli XADD` could write them: each breaks the wire format or the stream's contract. */
function hostileEntries(stream: Stream): { fields: (string | Buffer)[]; cause: RegExp }[] {
  return [
    { fields: ['v', '1'], cause: /data/ },
    { fields: ['data', valid[stream]()], cause: /"v"|contract v/ },
    { fields: ['v', '2', 'data', valid[stream]()], cause: /version|v2/ },
    { fields: ['v', '1', 'data', 'not json'], cause: /not JSON/ },
    { fields: ['v', '1', 'data', Buffer.from([0xff, 0xfe, 0x00, 0x01])], cause: /not JSON/ },
    { fields: ['v', '1', 'data', '[1,2,3]'], cause: /expected object|contract/i },
    { fields: ['v', '1', 'data', '{"orderId":"x","customerId":"has space","submittedAt":-1}'], cause: /customerId/ },
    {
      fields: ['v', '1', 'data', '{"__proto__":{"admin":true},"orderId":"p"}'],
      cause: /contract|Unrecognized|__proto__/i,
    },
    { fields: ['v', '1', 'data', valid[stream](), 'data', valid[stream]()], cause: /more than once/ },
    { fields: ['v', '1', 'data', `"${'x'.repeat(70_000)}"`], cause: /limit|expected object/ },
  ];
}

/**
 * Hostile entries injected straight into the streams while every service runs as its own process: each is
 * dead-lettered with its cause by whoever reads it, no service crashes, and the real orders around them are
 * all decided, with a clean report.
 */
describe('hostile stream entries in a running sale', () => {
  let redis: TestRedis;
  let client: Redis;
  let dataDir: string;
  let sale: SaleKeys;
  let services: RunningServices;

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    dataDir = await mkdtemp(join(tmpdir(), 'popup-hostile-'));
    sale = await openSale(client, 'hostile', UNITS);
    services = await startServices({
      redisUrl: redis.url,
      saleId: sale.saleId,
      dataDir,
      observer: client,
      // Every order must be a 202 here, on a machine running other suites at once: intake sheds only past 5 s of
      // event-loop lag (a CI run's npm test got a 503 overloaded at 200 ms), which is not what this spec is about.
      env: { 'customer-intake': { MAX_EVENT_LOOP_DELAY_MS: '5000' } },
    });
  }, 90_000);

  afterAll(async () => {
    await services?.stop();
    await redis?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('dead-letters every hostile entry with its cause, and the real orders flow on', async () => {
    const injected: Record<Stream, { id: string; cause: RegExp }[]> = { customers: [], orders: [], completed: [] };
    const tickets: string[] = [];
    const streams: Stream[] = ['customers', 'orders', 'completed'];
    for (let i = 0; i < CUSTOMERS; i++) {
      const answer = await postOrder(services, `customer-${i}`);
      expect(answer.status).toBe(202);
      tickets.push(answer.body['orderId'] as string);
      const stream = streams[i % streams.length] as Stream;
      const hostile = hostileEntries(stream)[Math.floor(i / streams.length)];
      if (hostile) {
        const id = (await client.xadd(sale[stream], '*', ...hostile.fields)) as string;
        injected[stream].push({ id, cause: hostile.cause });
      }
    }
    // A real customer entry wrapped in junk: an oversized traceparent and fields no reader knows are ignored.
    const junk = Array.from({ length: 100 }, (_, i) => [`junk${i}`, 'x'.repeat(100)]).flat();
    const wrapped = JSON.stringify({ orderId: 'wrapped', customerId: 'wrapped', submittedAt: Date.now() });
    await client.xadd(
      sale.customers,
      '*',
      ...entryFields(customerContract, wrapped),
      'traceparent',
      'x'.repeat(10_000),
      ...junk,
    );
    tickets.push('wrapped');

    await eventually(
      async () => (await client.hmget(sale.decisions, ...tickets)).every((decision) => decision !== null),
      'a decision for every real order',
      60_000,
    );
    // Each reader dead-letters what it cannot read: order-generation the customers, the completion trigger the
    // orders, and both groups that read the completed stream (auditing and metrics) the completed entries.
    const readers: [Stream, string[]][] = [
      ['customers', [ConsumerGroup.orderGeneration]],
      ['orders', [ConsumerGroup.fulfilment]],
      ['completed', [ConsumerGroup.auditing, ConsumerGroup.metrics]],
    ];
    for (const [stream, groups] of readers) {
      const expected = injected[stream].length * groups.length;
      await eventually(
        async () => (await deadLetters(client, sale[stream])).length === expected,
        `${expected} dead letters of ${stream}`,
        30_000,
      );
      const letters = await deadLetters(client, sale[stream]);
      for (const { id, cause } of injected[stream]) {
        const mine = letters.filter((letter) => letter.id === id);
        expect(mine.map((letter) => letter.group).sort()).toEqual([...groups].sort());
        for (const letter of mine) {
          expect({ id, error: letter.error }).toEqual({ id, error: expect.stringMatching(cause) });
          expect(letter.stream).toBe(sale[stream]);
        }
      }
    }

    await new SaleGears(client, sale).setState('closed');
    await eventually(async () => (await client.get(sale.report)) !== null, 'the report', 30_000);
    const report = saleReportContract.schema.parse(JSON.parse((await client.get(sale.report)) as string));
    expect(report).toMatchObject({
      ok: true,
      sold: CUSTOMERS + 1,
      oversold: 0,
      duplicates: 0,
      lost: 0,
      pending: 0,
      deadLettered: injected.customers.length,
    });
    expect(services.restartLog).toEqual([]);
    expect(Object.keys(services.supervisor.restarts()).sort()).toEqual([...PROCESS_NAMES].sort());
  }, 180_000);
});

function deadLetters(client: Redis, stream: string): Promise<DeadLetter[]> {
  return readPayloads(client, deadLetterStream(stream), deadLetterContract, { strict: true });
}
