import type { INestApplication } from '@nestjs/common';
import { ConsumerGroup, deadLetterStream, saleKeys, type SaleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { startInMemoryTracing, type InMemoryTracing } from '@popup-store/telemetry';
import type { Redis } from 'ioredis';
import { orderGenerationConfig } from './app/order-generation-config';
import { startOrderGeneration } from './app/start-order-generation';
import { encodeEntry, entryFields, readPayloads, readRecords } from '@popup-store/streams-transport';
import { customerContract, orderContract } from '@popup-store/contracts';

jest.setTimeout(15_000);

describe('order-generation', () => {
  let redis: TestRedis;
  let client: Redis;
  let sale: SaleKeys;
  let app: INestApplication;
  let tracing: InMemoryTracing;

  beforeAll(async () => {
    tracing = await startInMemoryTracing();
    redis = await startTestRedis();
    client = redis.client();
    sale = saleKeys(`${redis.namespace}-og`);
    app = await startOrderGeneration(
      orderGenerationConfig({
        REDIS_URL: redis.url,
        SALE_ID: sale.saleId,
        LOG_LEVEL: 'silent',
        BLOCK_MS: '100',
        BATCH_SIZE: '50',
      }),
    );
  });

  afterAll(async () => {
    await app.close();
    await redis.dispose();
    await tracing.shutdown();
  });

  it('turns every customer entry into one order that names it, keeping its trace context', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const data = JSON.stringify({ orderId: `o${i}`, customerId: `c${i % 100}`, submittedAt: 1_000 + i });
      ids.push(
        (await client.xadd(
          sale.customers,
          '*',
          ...entryFields(customerContract, data),
          'traceparent',
          traceparent,
        )) as string,
      );
    }
    await eventually(async () => (await client.xlen(sale.orders)) >= 120, '120 orders');
    const orders = await readPayloads(client, sale.orders, orderContract, { strict: true });
    expect(orders).toHaveLength(120);
    expect(orders.map((o) => o.orderId)).toEqual(ids.map((_, i) => `o${i}`));
    expect(orders[7]).toEqual({
      orderId: 'o7',
      customerId: 'c7',
      submittedAt: 1_007,
      orderedAt: expect.any(Number),
      customerEntryId: ids[7],
    });
    // Each order continues its customer's trace: same trace id, a span of its own (the send span) as parent.
    for await (const { carrier } of readRecords(client, sale.orders, orderContract)) {
      const [, traceId, spanId] = (carrier.traceparent ?? '').split('-');
      expect([traceId, spanId === 'b7ad6b7169203331']).toEqual(['0af7651916cd43dd8448eb211c80319c', false]);
    }
    const sends = () => tracing.spans().filter((span) => span.name === `send ${sale.orders}`).length;
    await eventually(() => sends() === 120, 'a send span per order');
    const pending = (await client.xpending(sale.customers, ConsumerGroup.orderGeneration)) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });

  it('dead-letters a customer entry that breaks the contract and goes on, and writes untraced orders as a batch', async () => {
    const before = await client.xlen(sale.orders);
    const waiting = await client.xlen(sale.customers);
    await client.xadd(
      sale.customers,
      '*',
      ...entryFields(customerContract, '{"orderId":"bad","customerId":"has space","submittedAt":1}'),
    );
    await client.xadd(
      sale.customers,
      '*',
      ...entryFields(customerContract, JSON.stringify({ orderId: 'good', customerId: 'ok', submittedAt: 2 })),
    );
    await eventually(async () => (await client.xlen(sale.orders)) === before + 1, 'the good order');
    // An untraced customer's order is written in the batch write (in the trace of the batch's process span).
    const [good] = (await readPayloads(client, sale.orders, orderContract, { strict: true })).slice(-1);
    expect(good).toMatchObject({
      orderId: 'good',
      customerId: 'ok',
      customerEntryId: expect.stringMatching(/^\d+-\d+$/),
    });
    await eventually(async () => (await client.xlen(deadLetterStream(sale.customers))) === 1, 'the dead letter');
    const [[, letter]] = (await client.xrange(deadLetterStream(sale.customers), '-', '+')) as [[string, string[]]];
    expect(letter.join(' ')).toContain('customerId');
    // It left the customers stream: what remains there is what still waits for a decision.
    await eventually(async () => (await client.xlen(sale.customers)) === waiting + 1, 'the bad entry to leave');
  });
});

describe('order-generation heals without a restart', () => {
  it('makes its group again after a DEL of the customers stream, answering /health/ready 503 only while its reads fail', async () => {
    const redis = await startTestRedis();
    const client = redis.client();
    const sale = saleKeys(`${redis.namespace}-heal`);
    const app = await startOrderGeneration(
      orderGenerationConfig({ REDIS_URL: redis.url, SALE_ID: sale.saleId, LOG_LEVEL: 'silent', BLOCK_MS: '100' }),
    );
    const ready = async () => (await fetch(`${await app.getUrl()}/health/ready`)).status;
    const customer = (orderId: string) =>
      client.xadd(sale.customers, '*', ...encodeEntry(customerContract, { orderId, customerId: 'c', submittedAt: 1 }));
    try {
      await eventually(async () => (await ready()) === 200, 'ready');
      await client.del(sale.customers);
      await client.set(sale.customers, 'not a stream');
      await eventually(async () => (await ready()) === 503, 'not ready while the key is no stream');
      await client.del(sale.customers);
      await customer('after');
      await eventually(async () => (await client.xlen(sale.orders)) === 1, 'an order after the group came back');
      await eventually(async () => (await ready()) === 200, 'ready again');
    } finally {
      await app.close();
      await redis.dispose();
    }
  });
});
