import type { INestMicroservice } from '@nestjs/common';
import { SpanKind, context, trace } from '@opentelemetry/api';
import {
  customerContract,
  deadLetterContract,
  orderContract,
  type Customer,
  type DeadLetter,
} from '@popup-store/contracts';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { startInMemoryTracing, type InMemoryTracing } from '@popup-store/telemetry';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { setTimeout as delay } from 'node:timers/promises';
import { RedisStreamsClient } from './lib/client';
import { ContractViolationError, decodeEntry, entryFields } from './lib/codec';
import { readPayloads } from './lib/record-reader';
import type { RedisStreamsBatchContext, RedisStreamsContext } from './lib/context';
import type { RedisStreamsServerOptions } from './lib/options';
import { startConsumerApp, type Handle } from './test/consumer-app';
import { eventually } from '@popup-store/redis-harness';

/** The conformance spec: every behaviour through a real Nest microservice, a real client and a real Redis. */
describe('Redis Streams transport', () => {
  let redis: TestRedis;
  let admin: Redis;
  let tracing: InMemoryTracing;
  let testNumber = 0;
  const apps: INestMicroservice[] = [];
  const clients: RedisStreamsClient[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    admin = redis.client();
    tracing = await startInMemoryTracing();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await tracing.shutdown();
    await redis.dispose();
  });

  /** Stream keys of a fresh sale: a hash tag of its own, as the keys lib makes them. */
  function freshSale() {
    const tag = `{${redis.namespace}:sale${++testNumber}}`;
    return { customers: `${tag}:customers`, orders: `${tag}:orders`, group: `g${testNumber}` };
  }

  const customer = (n: number): Customer => ({
    orderId: `t-${n}`,
    customerId: `c${n}`,
    submittedAt: 1_760_000_000_000 + n,
  });

  function serverOptions(stream: string, group: string, extra: Partial<RedisStreamsServerOptions> = {}) {
    return { connection: redis.url, group, streams: { [stream]: customerContract }, blockMs: 500, ...extra };
  }

  async function consume(options: RedisStreamsServerOptions, stream: string, handle: Handle, batch = false) {
    const started = await startConsumerApp(options, stream, handle, { batch });
    apps.push(started.app);
    return started;
  }

  function client(streams: Record<string, typeof customerContract | typeof orderContract>) {
    const made = new RedisStreamsClient({ connection: redis.url, streams });
    clients.push(made);
    return made;
  }

  async function pendingCount(stream: string, group: string): Promise<number> {
    const [count] = (await admin.xpending(stream, group)) as [number];
    return count;
  }

  function deadLetters(stream: string): Promise<DeadLetter[]> {
    return readPayloads(admin, `${stream}:dead-letter`, deadLetterContract, { strict: true });
  }

  it('splits a stream between the consumers of a group, each entry handled exactly once', async () => {
    const { customers, group } = freshSale();
    const handledBy = new Map<string, string[]>();
    const seen = (consumer: string) => (data: unknown, ctx: RedisStreamsContext) => {
      expect(ctx.getStream()).toBe(customers);
      expect(ctx.getDeliveryCount()).toBe(1);
      expect(JSON.parse(ctx.getFields()['data'])).toEqual(data);
      handledBy.set(ctx.getMessageId(), [...(handledBy.get(ctx.getMessageId()) ?? []), consumer]);
    };
    await consume(serverOptions(customers, group, { consumer: 'a', batchSize: 10 }), customers, seen('a') as Handle);
    await consume(serverOptions(customers, group, { consumer: 'b', batchSize: 10 }), customers, seen('b') as Handle);
    const producer = client({ [customers]: customerContract });

    const ids: string[] = [];
    for (let round = 0; round < 10; round++) {
      ids.push(
        ...(await producer.emitBatch(
          customers,
          Array.from({ length: 50 }, (_, i) => customer(round * 50 + i)),
        )),
      );
    }
    ids.push(await lastValueFrom(producer.emit(customers, customer(500))));

    await eventually(() => handledBy.size === ids.length, `${ids.length} entries handled`);
    expect([...handledBy.keys()].sort()).toEqual([...ids].sort());
    expect([...handledBy.values()].every((consumers) => consumers.length === 1)).toBe(true);
    const byConsumer = [...handledBy.values()].flat();
    expect(byConsumer.filter((name) => name === 'a').length).toBeGreaterThan(0);
    expect(byConsumer.filter((name) => name === 'b').length).toBeGreaterThan(0);
    await eventually(async () => (await pendingCount(customers, group)) === 0, 'every entry acked');
  });

  it('dead-letters an entry whose handler keeps failing, with its error and delivery count, while others flow', async () => {
    const { customers, group } = freshSale();
    const handled: string[] = [];
    const attempts: number[] = [];
    const letters: DeadLetter[] = [];
    const handle = (data: Customer, ctx: RedisStreamsContext) => {
      if (data.customerId === 'poison') {
        attempts.push(ctx.getDeliveryCount());
        throw new Error(`cannot serve ${data.orderId}`);
      }
      handled.push(data.orderId);
    };
    const options = serverOptions(customers, group, { maxDeliveries: 3, minIdleMs: 40, reclaimIntervalMs: 20 });
    const { server } = await consume(options, customers, handle as Handle);
    server.on('dead-letter', (letter) => letters.push(letter));
    const producer = client({ [customers]: customerContract });

    const [poisonId] = await producer.emitBatch(customers, [{ ...customer(0), customerId: 'poison' }]);
    await producer.emitBatch(
      customers,
      Array.from({ length: 20 }, (_, i) => customer(i + 1)),
    );

    await eventually(async () => (await deadLetters(customers)).length === 1, 'a dead letter');
    const [letter] = await deadLetters(customers);
    expect(letter).toMatchObject({
      stream: customers,
      id: poisonId,
      group,
      error: 'cannot serve t-0',
      deliveries: 3,
      truncated: false,
    });
    expect(JSON.parse(letter.fields['data'])).toMatchObject({ customerId: 'poison' });
    expect(letters).toEqual([letter]);
    expect(attempts).toEqual([1, 2, 3]);
    expect(handled).toHaveLength(20);
    await eventually(async () => (await pendingCount(customers, group)) === 0, 'nothing left pending');
  });

  it('dead-letters, without running the handler again, an entry whose last allowed delivery never settled', async () => {
    const { customers, group } = freshSale();
    await admin.xgroup('CREATE', customers, group, '0', 'MKSTREAM');
    const id = (await admin.xadd(
      customers,
      '*',
      ...entryFields(customerContract, JSON.stringify(customer(1))),
    )) as string;
    await admin.xreadgroup('GROUP', group, 'ghost', 'STREAMS', customers, '>');
    // As if five consumers in a row had died while handling it.
    await admin.xclaim(customers, group, 'ghost', 0, id, 'RETRYCOUNT', 5);
    const handled: unknown[] = [];
    const options = serverOptions(customers, group, { maxDeliveries: 5, minIdleMs: 1, reclaimIntervalMs: 10 });
    await consume(options, customers, ((data: unknown) => handled.push(data)) as Handle);

    await eventually(async () => (await deadLetters(customers)).length === 1, 'a dead letter');
    expect((await deadLetters(customers))[0]).toMatchObject({
      id,
      deliveries: 6,
      error: expect.stringMatching(/none of 5 deliveries settled/),
    });
    expect(handled).toEqual([]);
  });

  it('dead-letters malformed entries at once and goes on consuming', async () => {
    const { customers, group } = freshSale();
    const handled: Customer[] = [];
    await consume(serverOptions(customers, group, { maxDataBytes: 4096 }), customers, ((data: Customer) => {
      handled.push(data);
    }) as Handle);
    const good = JSON.stringify(customer(1));
    const malformed: Array<[string[], RegExp]> = [
      [['data', good], /missing field "v"/],
      [['v', '1'], /missing field "data"/],
      [entryFields(customerContract, '{"orderId":'), /not JSON/],
      [entryFields(customerContract, JSON.stringify({ ...customer(2), submittedAt: 'yesterday' })), /submittedAt/],
      [
        entryFields(customerContract, JSON.stringify({ ...customer(3), orderId: 'x'.repeat(100_000) })),
        /over the 4096-byte limit/,
      ],
      [['v', '7', 'data', good], /unsupported version "7"/],
    ];
    const ids: string[] = [];
    for (const [fields] of malformed) ids.push((await admin.xadd(customers, '*', ...fields)) as string);
    // As Lua writes it (cjson.encode): v and data only, the same format.
    await admin.xadd(customers, '*', ...entryFields(customerContract, good));

    await eventually(
      async () => (await deadLetters(customers)).length === malformed.length,
      'every malformed entry dead-lettered',
    );
    const letters = await deadLetters(customers);
    malformed.forEach(([, error], index) => {
      expect(letters.find((letter) => letter.id === ids[index])?.error).toMatch(error);
    });
    const huge = letters.find((letter) => letter.id === ids[4]);
    expect(huge).toMatchObject({ truncated: true, deliveries: 1 });
    expect(huge?.fields['data'].length).toBe(8192);

    await eventually(() => handled.length === 1, 'the well-formed entry handled');
    const producer = client({ [customers]: customerContract });
    await producer.emitBatch(customers, [customer(9)]);
    await eventually(() => handled.length === 2, 'the consumer still consuming');
    await eventually(async () => (await pendingCount(customers, group)) === 0, 'nothing left pending');
  });

  it('holds at most maxInFlight entries: reads ask only for what is free', async () => {
    const { customers, group } = freshSale();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let running = 0;
    let most = 0;
    const handled: string[] = [];
    const held = async (data: Customer) => {
      most = Math.max(most, ++running);
      await gate;
      running--;
      handled.push(data.orderId);
    };
    await consume(serverOptions(customers, group, { maxInFlight: 5, batchSize: 10 }), customers, held as Handle);
    await client({ [customers]: customerContract }).emitBatch(
      customers,
      Array.from({ length: 30 }, (_, i) => customer(i)),
    );

    await eventually(() => running === 5, 'five handlers running');
    expect(await pendingCount(customers, group)).toBe(5);
    open();
    await eventually(() => handled.length === 30, 'every entry handled');
    expect(most).toBe(5);
  });

  it('on close, stops reading, finishes and acks what it holds, and leaves nothing pending', async () => {
    const { customers, group } = freshSale();
    const started = new Set<string>();
    const finished = new Set<string>();
    const slowly = async (data: Customer) => {
      started.add(data.orderId);
      await delay(5);
      finished.add(data.orderId);
    };
    const { app } = await consume(
      serverOptions(customers, group, { consumer: 'first', batchSize: 20 }),
      customers,
      slowly as Handle,
    );
    const producer = client({ [customers]: customerContract });
    const total = 400;
    await producer.emitBatch(
      customers,
      Array.from({ length: total }, (_, i) => customer(i)),
    );

    await eventually(() => finished.size >= 30, 'the burst under way');
    await app.close();
    expect(finished).toEqual(started);
    expect(started.size).toBeLessThan(total);
    expect(await admin.xpending(customers, group, '-', '+', 10, 'first')).toEqual([]);
    expect(await pendingCount(customers, group)).toBe(0);

    const rest = new Set<string>();
    await consume(serverOptions(customers, group, { consumer: 'second' }), customers, ((data: Customer) => {
      rest.add(data.orderId);
    }) as Handle);
    await eventually(() => started.size + rest.size === total, 'the rest handled by the next consumer');
    expect([...rest].filter((orderId) => started.has(orderId))).toEqual([]);
  });

  it('continues the producer trace in the consumer, hop after hop', async () => {
    const { customers, orders, group } = freshSale();
    const producer = client({ [customers]: customerContract, [orders]: orderContract });
    const forward = async (data: Customer, ctx: RedisStreamsContext) => {
      await lastValueFrom(
        producer.emit(orders, { ...data, orderedAt: data.submittedAt + 1, customerEntryId: ctx.getMessageId() }),
      );
    };
    await consume(serverOptions(customers, group), customers, forward as Handle);
    const tracer = trace.getTracer('transport.spec');
    tracing.reset();

    const request = tracer.startSpan('POST /api/orders', { kind: SpanKind.SERVER });
    const id = await context.with(trace.setSpan(context.active(), request), () =>
      lastValueFrom(producer.emit(customers, customer(1))),
    );
    request.end();

    const named = (name: string) => tracing.spans().find((span) => span.name === name);
    await eventually(() => named(`send ${orders}`) !== undefined, 'the second hop sent');
    const send = named(`send ${customers}`);
    const processed = named(`process ${customers}`);
    const forwarded = named(`send ${orders}`);
    const traceId = request.spanContext().traceId;
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(send?.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(send?.attributes).toMatchObject({
      'messaging.system': 'redis',
      'messaging.destination.name': customers,
      'messaging.operation.type': 'send',
      'messaging.message.id': id,
    });
    expect(processed?.kind).toBe(SpanKind.CONSUMER);
    expect(processed?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(processed?.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': group,
      'messaging.message.id': id,
    });
    expect(forwarded?.parentSpanContext?.spanId).toBe(processed?.spanContext().spanId);
    for (const span of [send, processed, forwarded]) expect(span?.spanContext().traceId).toBe(traceId);
  });

  it('writes through a command of the caller (emitThrough) with the same encoding, span and trace context', async () => {
    const { customers } = freshSale();
    const producer = client({ [customers]: customerContract });
    const tracer = trace.getTracer('transport.spec');
    tracing.reset();
    const request = tracer.startSpan('POST /api/orders', { kind: SpanKind.SERVER });
    const sent: string[][] = [];
    const [id, skipped] = await context.with(trace.setSpan(context.active(), request), () =>
      Promise.all([
        producer.emitThrough(customers, customer(1), (fields) => {
          sent.push(fields);
          return admin.xadd(customers, '*', ...fields) as Promise<string>;
        }),
        producer.emitThrough(customers, customer(2), async () => null, { trusted: true }),
      ]),
    );
    request.end();
    await expect(
      producer.emitThrough(customers, { ...customer(3), submittedAt: 'now' }, async () => '1-1'),
    ).rejects.toThrow(ContractViolationError);

    expect(skipped).toBeNull();
    const entries = await admin.xrange(customers, '-', '+');
    expect(entries).toEqual([[id, sent[0]]]);
    const decoded = decodeEntry(customerContract, entries[0]?.[1] ?? []);
    expect(decoded).toMatchObject({ ok: true, data: customer(1) });
    const sends = tracing.spans().filter((span) => span.name === `send ${customers}`);
    expect(sends).toHaveLength(2);
    for (const span of sends) expect(span.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    const written = sends.find((span) => span.attributes['messaging.message.id'] === id);
    expect(sends.filter((span) => span !== written).map((span) => span.attributes['messaging.message.id'])).toEqual([
      undefined,
    ]);
    expect(decoded.carrier.traceparent).toContain(written?.spanContext().spanId);
  });

  it('gives a batch handler every entry of a read, in one span linked to each producer', async () => {
    const { customers, group } = freshSale();
    const batches: Array<{ data: Customer[]; ids: string[] }> = [];
    const handle = (data: Customer[], ctx: RedisStreamsBatchContext) => {
      expect(ctx.getStream()).toBe(customers);
      batches.push({ data, ids: ctx.getMessages().map((message) => message.id) });
    };
    const producer = client({ [customers]: customerContract });
    const ids = await producer.emitBatch(
      customers,
      Array.from({ length: 30 }, (_, i) => customer(i)),
    );
    tracing.reset();
    await consume(serverOptions(customers, group, { batchSize: 30 }), customers, handle as Handle, true);

    await eventually(() => batches.flatMap((batch) => batch.ids).length === 30, 'every entry handled');
    expect(batches).toHaveLength(1);
    expect(batches[0].ids).toEqual(ids);
    expect(batches[0].data.map((data) => data.orderId)).toEqual(ids.map((_, i) => `t-${i}`));
    await eventually(() => tracing.spans().some((span) => span.name === `process ${customers}`), 'the batch span');
    const span = tracing.spans().find((candidate) => candidate.name === `process ${customers}`);
    expect(span?.attributes['messaging.batch.message_count']).toBe(30);
    expect(span?.links).toHaveLength(30);
    await eventually(async () => (await pendingCount(customers, group)) === 0, 'the batch acked');
  });

  it('reads the streams of sources added at runtime, tells the handler which, and lets a source go', async () => {
    const first = freshSale();
    const second = freshSale();
    const group = first.group;
    const seen: Array<{ source: string; stream: string; orderId: string }> = [];
    const handle = (data: Customer, ctx: RedisStreamsContext) => {
      seen.push({ source: ctx.getSource(), stream: ctx.getStream(), orderId: data.orderId });
    };
    // Handlers name the stream; no source is read until one is served.
    const { server } = await consume(
      { connection: redis.url, group, streams: { customers: customerContract }, blockMs: 500, sources: {} },
      'customers',
      handle as Handle,
    );
    const producer = client({ [first.customers]: customerContract, [second.customers]: customerContract });
    const blockedReads = async () =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((line) => / cmd=xreadgroup /.test(line) && / flags=b /.test(line)).length;
    expect(await blockedReads()).toBe(0);

    await server.serve('one', { customers: first.customers });
    await server.serve('two', { customers: second.customers });
    await expect(server.serve('three', { customers: first.customers })).rejects.toThrow(/already read for "one"/);
    expect([...server.serving().keys()]).toEqual(['one', 'two']);
    await lastValueFrom(producer.emit(first.customers, customer(1)));
    await lastValueFrom(producer.emit(second.customers, customer(2)));
    await eventually(() => seen.length === 2, 'an entry of each source handled');
    expect(seen.sort((a, b) => a.orderId.localeCompare(b.orderId))).toEqual([
      { source: 'one', stream: first.customers, orderId: 't-1' },
      { source: 'two', stream: second.customers, orderId: 't-2' },
    ]);
    await eventually(async () => (await blockedReads()) === 2, 'a blocked read per source');

    // Let go, a source's reader and its blocking connection are gone; what is written to it waits, unread.
    await server.unserve('one');
    expect([...server.serving().keys()]).toEqual(['two']);
    await eventually(async () => (await blockedReads()) === 1, 'one blocked read left');
    await lastValueFrom(producer.emit(first.customers, customer(3)));
    await lastValueFrom(producer.emit(second.customers, customer(4)));
    await eventually(() => seen.some((entry) => entry.orderId === 't-4'), 'the served source read on');
    await delay(700);
    expect(seen.map((entry) => entry.orderId)).not.toContain('t-3');
    const [groupInfo] = (await admin.xinfo('GROUPS', first.customers)) as unknown[][];
    expect(groupInfo[groupInfo.indexOf('lag') + 1]).toBe(1);

    // Served again, it reads on from where its group stood.
    await server.serve('one', { customers: first.customers });
    await eventually(() => seen.some((entry) => entry.orderId === 't-3'), 'the source read again');
    expect(seen.find((entry) => entry.orderId === 't-3')?.source).toBe('one');
    await eventually(async () => (await pendingCount(first.customers, group)) === 0, 'acked');
  });

  it('refuses to serve a source before listen, or one that leaves a handler without a key', async () => {
    const { customers, group } = freshSale();
    const { RedisStreamsServer } = await import('./lib/server');
    const idle = new RedisStreamsServer({ connection: redis.url, group, streams: { customers: customerContract } });
    await expect(idle.serve('one', { customers })).rejects.toThrow(/not listening/);
    const { server } = await consume(
      { connection: redis.url, group, streams: { customers: customerContract }, blockMs: 500, sources: {} },
      'customers',
      (() => undefined) as Handle,
    );
    await expect(server.serve('one', { orders: customers })).rejects.toThrow(/gives no key for customers/);
  });
});
