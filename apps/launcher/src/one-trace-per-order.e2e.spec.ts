import { SERVICES, type SaleKeys, type ServiceName } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { RunningServices, type Exit } from '@popup-store/service-runner';
import type { Redis } from 'ioredis';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DIST_DIR, openSale } from './test/pipeline';

const VERSION = (JSON.parse(readFileSync(resolve(DIST_DIR, '../package.json'), 'utf8')) as { version: string }).version;

// OTLP span kinds (the API's SpanKind plus one).
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;
const STATUS_ERROR = 2;

type LogLine = Record<string, unknown>;

/**
 * The built services (dist/, built by the test target's dependencies), each its own process as `npm start` runs
 * them, exporting to a real OTLP/HTTP receiver: every order is one trace from the intake request to its decision,
 * across the services.
 */
describe('one trace per order, across the services', () => {
  let redis: TestRedis;
  let client: Redis;
  let dir: string;
  let sale: SaleKeys;
  let json: OtlpReceiver;
  let protobuf: OtlpReceiver;
  let sold: { orderIds: string[]; exits: Record<string, Exit>; logs: Map<ServiceName, LogLine[]> };
  let quiet: {
    protobufOrder: string;
    protobufExit: Exit;
    untracedOrder: string;
    untracedExit: Exit;
    untracedLogs: LogLine[];
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'popup-traces-'));
    json = new OtlpReceiver();
    protobuf = new OtlpReceiver();
    redis = await startTestRedis();
    client = redis.client();
    // Two units for three customers: one order is rejected, and its trace must say why.
    sale = await openSale(client, `${redis.namespace}-traced`, 2);
    sold = await runSale(await json.start());

    // The same intake exporting http/protobuf, and one with no endpoint at all, side by side on a sale of their own.
    const other = await openSale(client, `${redis.namespace}-other`, 10);
    const [tracing, untraced] = await Promise.all([
      intake(other, 'protobuf', otelEnv(await protobuf.start(), 'http/protobuf')),
      intake(other, 'untraced', {}),
    ]);
    try {
      const [protobufOrder, untracedOrder] = await Promise.all([order(tracing, 'dee'), order(untraced, 'eve')]);
      const [protobufExits, untracedExits] = await Promise.all([tracing.stop(), untraced.stop()]);
      quiet = {
        protobufOrder,
        protobufExit: protobufExits['customer-intake'] as Exit,
        untracedOrder,
        untracedExit: untracedExits['customer-intake'] as Exit,
        untracedLogs: await logLines(untraced, 'customer-intake'),
      };
    } finally {
      await Promise.all([tracing.stop(), untraced.stop()]);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all([json?.close(), protobuf?.close()]);
    await redis?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Nothing OTEL_* leaks in from the shell that runs the tests: each case sets exactly what it means. */
  const baseEnv = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));

  /** Processes of the store on `of`, ready, or stopped if they do not get there. */
  async function run(
    of: SaleKeys,
    name: string,
    plan: { only?: string[]; env?: NodeJS.ProcessEnv; envOf?: Record<string, NodeJS.ProcessEnv> },
  ) {
    const services = await RunningServices.start({
      distDir: DIST_DIR,
      logDir: join(dir, name),
      redisUrl: redis.url,
      saleId: of.saleId,
      baseEnv: baseEnv(),
      ...plan,
    });
    try {
      // An instrumented service loads the OpenTelemetry SDK before Nest: seconds of CPU on a busy CI machine.
      await services.ready(client);
    } catch (error) {
      await services.stop();
      throw error;
    }
    return services;
  }

  function intake(of: SaleKeys, name: string, env: NodeJS.ProcessEnv) {
    return run(of, name, { only: ['customer-intake'], env });
  }

  /** The four services on `sale`, three orders over HTTP, every one decided and audited, then SIGTERM. */
  async function runSale(endpoint: string) {
    // The stream services alone: customer-intake then trusts the run's key itself, and the orders are signed with it.
    const services = await run(sale, 'sale', {
      only: [...SERVICES],
      env: otelEnv(endpoint, 'http/json'),
      envOf: {
        'order-generation': { BLOCK_MS: '200' },
        // Debug level for the decision log lines, which must carry their order's trace id.
        'fulfilment-auditing': { LOG_LEVEL: 'debug', COMPLETION_BLOCK_MS: '200' },
      },
    });
    let orderIds: string[];
    try {
      orderIds = await Promise.all(['ann', 'bob', 'cid'].map((customer) => order(services, customer)));
      await eventually(async () => (await client.hlen(sale.decisions)) === orderIds.length, 'every order decided');
      await eventually(() => audited(client, sale), 'the auditor read every completion');
      // metrics-export is on no order's path: a scrape is what it traces.
      await eventually(async () => (await fetch(`${services.metricsUrl}/metrics`)).ok, 'a metrics scrape');
    } catch (error) {
      await services.stop();
      throw new Error(`${String(error)} (logs in ${services.logDir})`);
    }
    const exits = await services.stop();
    const logs = new Map(
      await Promise.all(SERVICES.map(async (name) => [name, await logLines(services, name)] as const)),
    );
    return { orderIds, exits, logs };
  }

  it('flushes on SIGTERM and ends by the signal, like an untraced service', () => {
    for (const exit of [...Object.values(sold.exits), quiet.protobufExit, quiet.untracedExit]) {
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    }
    expect(Object.keys(sold.exits).sort()).toEqual([...SERVICES].sort());
    expect(json.requests.length).toBeGreaterThan(0);
    // Traces only: the SDK's default OTLP metric and log exporters stay off.
    expect(new Set(json.requests.map((request) => `${request.path} ${request.contentType}`))).toEqual(
      new Set(['/v1/traces application/json']),
    );
  });

  it('exports from every service, named and versioned', () => {
    const spans = json.spans();
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(SERVICES));
    expect(new Set(spans.map((span) => span.version))).toEqual(new Set([VERSION]));
  });

  it('traces each order from the intake request to its decision, one tree across three services', () => {
    const spans = json.spans();
    for (const orderId of sold.orderIds) {
      const { trace, sendCustomers, sendOrders, decide } = orderTrace(spans, sale, orderId);
      // One root, the intake's HTTP server span, and every other span's parent in the same trace.
      expect(trace.filter((span) => !span.parentSpanId)).toEqual([
        expect.objectContaining({
          service: 'customer-intake',
          kind: SERVER,
          scope: '@opentelemetry/instrumentation-http',
        }),
      ]);
      const ids = new Set(trace.map((span) => span.spanId));
      expect(trace.filter((span) => span.parentSpanId && !ids.has(span.parentSpanId))).toEqual([]);
      // The bundles' require hooks worked: Fastify and ioredis are traced inside the request.
      expect(trace.some((span) => span.scope === '@fastify/otel')).toBe(true);
      expect(trace.some((span) => span.scope === '@opentelemetry/instrumentation-ioredis')).toBe(true);

      expect(sendCustomers).toMatchObject({ service: 'customer-intake', kind: PRODUCER });
      expect(sendOrders).toMatchObject({
        service: 'order-generation',
        kind: PRODUCER,
        parentSpanId: sendCustomers.spanId,
      });
      expect(decide).toMatchObject({
        service: 'fulfilment-auditing',
        kind: CONSUMER,
        parentSpanId: sendOrders.spanId,
        attributes: expect.objectContaining({ 'popup.order.id': orderId, 'popup.customer.id': expect.any(String) }),
      });
      // Batch consumers start traces of their own and link to each entry's producer.
      expect(linkedFrom(spans, 'order-generation', `process ${sale.customers}`, sendCustomers)).toMatchObject({
        kind: CONSUMER,
      });
      if (decide.attributes['popup.order.outcome'] === 'completed') {
        expect(linkedFrom(spans, 'fulfilment-auditing', `process ${sale.completed}`, sendOrders)).toMatchObject({
          kind: CONSUMER,
        });
      }
    }
  });

  it("says why an order was rejected, in its decision's span", () => {
    const decisions = sold.orderIds.map((orderId) => orderTrace(json.spans(), sale, orderId).decide);
    const rejected = decisions.filter((decide) => decide.attributes['popup.order.outcome'] === 'rejected');
    expect(rejected).toEqual([
      expect.objectContaining({
        status: { code: STATUS_ERROR, message: 'rejected: sold_out' },
        attributes: expect.objectContaining({ 'popup.order.rejection_reason': 'sold_out' }),
      }),
    ]);
    const completed = decisions.filter((decide) => decide.attributes['popup.order.outcome'] === 'completed');
    expect(completed.map((decide) => decide.attributes['popup.order.unit']).sort()).toEqual([1, 2]);
  });

  it("writes each decision's log line with its order's trace and span ids", () => {
    const lines = sold.logs.get('fulfilment-auditing') ?? [];
    for (const orderId of sold.orderIds) {
      const { decide } = orderTrace(json.spans(), sale, orderId);
      const line = lines.find((entry) => String(entry['msg']).startsWith(`order ${orderId} `));
      expect(line).toMatchObject({ trace_id: decide.traceId, span_id: decide.spanId });
    }
  });

  it('exports http/protobuf when OTEL_EXPORTER_OTLP_PROTOCOL says so', () => {
    expect(protobuf.requests.length).toBeGreaterThan(0);
    for (const request of protobuf.requests) {
      expect(request).toMatchObject({ path: '/v1/traces', contentType: 'application/x-protobuf' });
      expect(request.body.length).toBeGreaterThan(0);
    }
    // No OTLP protobuf schema ships in node_modules to decode with; strings travel as UTF-8 in protobuf, though.
    const sent = Buffer.concat(protobuf.requests.map((request) => request.body));
    for (const text of [
      quiet.protobufOrder,
      'customer-intake',
      'send {sale:',
      '@opentelemetry/instrumentation-ioredis',
    ]) {
      expect(sent.includes(text)).toBe(true);
    }
  });

  it('starts no SDK without an endpoint: the service works and nothing is sent', () => {
    const everything = Buffer.concat([...json.requests, ...protobuf.requests].map((request) => request.body));
    expect(everything.includes(quiet.untracedOrder)).toBe(false);
    expect(quiet.untracedLogs.length).toBeGreaterThan(0);
    expect(quiet.untracedLogs.filter((line) => 'trace_id' in line)).toEqual([]);
  });
});

function otelEnv(endpoint: string, protocol: string): NodeJS.ProcessEnv {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

/** POSTs an order for `customer`, signed in with the run's key, and returns its ticket's order id. */
async function order(services: RunningServices, customer: string): Promise<string> {
  const response = await fetch(`${services.intakeUrl}/api/orders`, {
    method: 'POST',
    headers: { authorization: await services.identity.bearer(customer) },
  });
  if (response.status !== 202) throw new Error(`order for ${customer}: ${response.status} ${await response.text()}`);
  const { orderId } = (await response.json()) as { orderId: string };
  return orderId;
}

/** A process's pino JSON lines, from its log. */
async function logLines(services: RunningServices, name: string): Promise<LogLine[]> {
  return (await readFile(services.logFile(name), 'utf8'))
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The auditing group has read and acknowledged every completion record. */
async function audited(redis: Redis, sale: SaleKeys): Promise<boolean> {
  const groups = (await redis.xinfo('GROUPS', sale.completed)) as (string | number)[][];
  const auditing = groups.map((fields) => fieldMap(fields)).find((group) => group['name'] === 'auditing');
  return auditing?.['pending'] === 0 && auditing['lag'] === 0;
}

function fieldMap(fields: (string | number)[]): Record<string, string | number> {
  const map: Record<string, string | number> = {};
  for (let i = 0; i < fields.length; i += 2) map[String(fields[i])] = fields[i + 1] as string | number;
  return map;
}

interface CollectedSpan {
  service: string;
  version: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  links: { traceId: string; spanId: string }[];
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

interface OtlpJsonRequest {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: {
      scope: { name: string };
      spans: (Omit<CollectedSpan, 'service' | 'version' | 'scope' | 'attributes' | 'links'> & {
        attributes?: OtlpAttribute[];
        links?: { traceId: string; spanId: string }[];
      })[];
    }[];
  }[];
}

/** An OTLP/HTTP receiver: takes every export request as it comes, answers 200. */
class OtlpReceiver {
  readonly requests: { path: string; contentType: string; body: Buffer }[] = [];
  private readonly server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const contentType = request.headers['content-type'] ?? '';
      this.requests.push({ path: request.url ?? '', contentType, body: Buffer.concat(chunks) });
      // An empty body is a valid, fully successful export response in either encoding.
      response.writeHead(200, { 'content-type': contentType }).end(contentType === 'application/json' ? '{}' : '');
    });
  });

  /** Listens on a free port; returns the base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }

  /** Every span of the http/json requests, with its resource and scope. */
  spans(): CollectedSpan[] {
    return this.requests
      .filter((request) => request.contentType === 'application/json')
      .flatMap((request) => (JSON.parse(request.body.toString()) as OtlpJsonRequest).resourceSpans)
      .flatMap(({ resource, scopeSpans }) => {
        const attributes = attributeMap(resource.attributes);
        return scopeSpans.flatMap(({ scope, spans }) =>
          spans.map((span) => ({
            ...span,
            service: String(attributes['service.name']),
            version: String(attributes['service.version']),
            scope: scope.name,
            parentSpanId: span.parentSpanId || undefined,
            attributes: attributeMap(span.attributes ?? []),
            links: span.links ?? [],
          })),
        );
      });
  }
}

function attributeMap(attributes: OtlpAttribute[]): Record<string, unknown> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, Object.values(value)[0]]));
}

/** The trace of the order intake tagged with `orderId`, and its hops. */
function orderTrace(spans: CollectedSpan[], sale: SaleKeys, orderId: string) {
  const tagged = spans.find(
    (span) => span.service === 'customer-intake' && span.attributes['popup.order.id'] === orderId,
  );
  if (!tagged) throw new Error(`no intake span names order ${orderId}`);
  const trace = spans.filter((span) => span.traceId === tagged.traceId);
  const only = (name: string) => {
    const found = trace.filter((span) => span.name === name);
    if (found.length !== 1) throw new Error(`order ${orderId}: ${found.length} spans "${name}" in its trace`);
    return found[0] as CollectedSpan;
  };
  return {
    trace,
    sendCustomers: only(`send ${sale.customers}`),
    sendOrders: only(`send ${sale.orders}`),
    decide: only(`decide ${sale.orders}`),
  };
}

/** The span of `service` named `name` that links to `target`. */
function linkedFrom(spans: CollectedSpan[], service: string, name: string, target: CollectedSpan) {
  return spans.find(
    (span) =>
      span.service === service &&
      span.name === name &&
      span.links.some((link) => link.traceId === target.traceId && link.spanId === target.spanId),
  );
}
