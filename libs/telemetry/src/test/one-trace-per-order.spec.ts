// The test opens a sale the way an operator does, with the gears client: a data-access lib, which the telemetry
// layer itself never uses.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { CustomerTokenSigner, generateSigningKey } from '@popup-store/customer-identity';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { freePort } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

const WORKSPACE = resolve(__dirname, '../../../..');
const SERVICES = ['customer-intake', 'order-generation', 'fulfilment-auditing', 'metrics-export'] as const;
type ServiceName = (typeof SERVICES)[number];
const VERSION = (JSON.parse(readFileSync(resolve(WORKSPACE, 'package.json'), 'utf8')) as { version: string }).version;

// OTLP span kinds (the API's SpanKind plus one).
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;
const STATUS_ERROR = 2;

/**
 * The built services (dist/, built by the test target's dependencies), each its own process, exporting to a real
 * OTLP/HTTP receiver: every order is one trace from the intake request to its decision, across the services.
 */
const ISSUER = 'http://identity.test';
/** The test's key pair: intake verifies with its public half, the orders are signed in with its private half. */
let intakeIdentity: Record<string, string> = {};
let signer: CustomerTokenSigner | undefined;

describe('one trace per order, across the services', () => {
  let redis: TestRedis;
  let client: Redis;
  let sale: SaleKeys;
  let json: OtlpReceiver;
  let protobuf: OtlpReceiver;
  let sold: { orderIds: string[]; exits: Exit[]; logs: Map<ServiceName, LogLine[]> };
  let quiet: {
    protobufOrder: string;
    protobufExit: Exit;
    untracedOrder: string;
    untracedExit: Exit;
    untracedLogs: LogLine[];
  };

  beforeAll(async () => {
    const key = await generateSigningKey();
    signer = new CustomerTokenSigner({ key, issuer: ISSUER, audience: 'popup-store', ttlSeconds: 600 });
    intakeIdentity = { CUSTOMER_TOKEN_PUBLIC_KEY: JSON.stringify(key.publicJwk), CUSTOMER_TOKEN_ISSUER: ISSUER };
    const missing = SERVICES.map(entryPoint).filter((main) => !existsSync(main));
    if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (npx nx run-many -t build)`);
    json = new OtlpReceiver();
    protobuf = new OtlpReceiver();
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
    sale = saleKeys(`${redis.namespace}-traced`);
    // Two units for three customers: one order is rejected, and its trace must say why.
    await openSale(client, sale, 2);
    sold = await runSale(await json.start());

    // The same intake exporting http/protobuf, and one with no endpoint at all, side by side on a sale of their own.
    const other = saleKeys(`${redis.namespace}-other`);
    await openSale(client, other, 10);
    const [tracing, untraced] = await Service.startAll([
      Service.start('customer-intake', intakeEnv(other, await freePort(), await protobuf.start(), 'http/protobuf')),
      Service.start('customer-intake', intakeEnv(other, await freePort())),
    ]);
    const [protobufOrder, untracedOrder] = await Promise.all([tracing.order('dee'), untraced.order('eve')]);
    const [protobufExit, untracedExit] = await Promise.all([tracing.stop(), untraced.stop()]);
    quiet = { protobufOrder, protobufExit, untracedOrder, untracedExit, untracedLogs: untraced.logLines() };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([json?.close(), protobuf?.close()]);
    await redis?.dispose();
  });

  function base(of: SaleKeys): NodeJS.ProcessEnv {
    // Nothing OTEL_* leaks in from the shell that runs the tests: each case sets exactly what it means.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
    return { ...inherited, REDIS_URL: redis.url, SALE_ID: of.saleId };
  }

  function intakeEnv(of: SaleKeys, port: number, endpoint?: string, protocol = 'http/protobuf'): NodeJS.ProcessEnv {
    return {
      ...base(of),
      ...(endpoint ? otelEnv(endpoint, protocol) : {}),
      ...intakeIdentity,
      PORT: String(port),
      HOST: '127.0.0.1',
    };
  }

  /** The four services on `sale`, three orders over HTTP, every one decided and audited, then SIGTERM. */
  async function runSale(endpoint: string) {
    const intakePort = await freePort();
    const metricsPort = await freePort();
    const otel = otelEnv(endpoint, 'http/json');
    const services = await Service.startAll([
      Service.start('customer-intake', intakeEnv(sale, intakePort, endpoint, 'http/json')),
      Service.start('order-generation', { ...base(sale), ...otel, BLOCK_MS: '200' }),
      // Debug level for the decision log lines, which must carry their order's trace id.
      Service.start('fulfilment-auditing', { ...base(sale), ...otel, LOG_LEVEL: 'debug', COMPLETION_BLOCK_MS: '200' }),
      Service.start('metrics-export', { ...base(sale), ...otel, METRICS_PORT: String(metricsPort) }),
    ]);
    const [intake] = services;
    let orderIds: string[];
    try {
      orderIds = await Promise.all(['ann', 'bob', 'cid'].map((customer) => intake.order(customer)));
      await eventually(async () => (await client.hlen(sale.decisions)) === orderIds.length, 'every order decided');
      await eventually(() => audited(client, sale), 'the auditor read every completion');
      // metrics-export is on no order's path: a scrape is what it traces.
      await eventually(async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok, 'a metrics scrape');
    } catch (error) {
      await Promise.all(services.map((service) => service.stop()));
      throw new Error(`${String(error)}\n${services.map((service) => service.describe()).join('\n')}`);
    }
    const exits = await Promise.all(services.map((service) => service.stop()));
    const logs = new Map(services.map((service) => [service.name, service.logLines()]));
    return { orderIds, exits, logs };
  }

  it('flushes on SIGTERM and ends by the signal, like an untraced service', () => {
    for (const exit of [...sold.exits, quiet.protobufExit, quiet.untracedExit]) {
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    }
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

type Exit = { code: number | null; signal: NodeJS.Signals | null };
type LogLine = Record<string, unknown>;

function entryPoint(service: ServiceName): string {
  return resolve(WORKSPACE, 'dist/apps', service, 'main.js');
}

function otelEnv(endpoint: string, protocol: string): NodeJS.ProcessEnv {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

async function openSale(redis: Redis, sale: SaleKeys, stock: number): Promise<void> {
  const [seconds] = await redis.time();
  const now = Number(seconds) * 1000;
  await new SaleGears(redis, sale).configure({ stock, startsAt: now - 1000, endsAt: now + 60_000 });
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

/** A built service running as its own process, its stdout (pino's JSON lines) kept. */
class Service {
  private stdout = '';
  private stderr = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<Exit>;

  private constructor(
    readonly name: ServiceName,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [entryPoint(name)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code, signal }) as Exit);
  }

  /**
   * Started and, for intake, ready for orders; killed if it does not get there. An instrumented service loads
   * the OpenTelemetry SDK before Nest, which takes seconds of CPU on a CI machine busy with other projects' tests.
   */
  static async start(name: ServiceName, env: NodeJS.ProcessEnv): Promise<Service> {
    const service = new Service(name, env);
    if (name === 'customer-intake') {
      await eventually(async () => (await fetch(`${service.url}/health/ready`)).ok, `${name} ready`, 30_000).catch(
        async (error) => {
          await service.kill();
          throw new Error(`${String(error)}\n${service.describe()}`);
        },
      );
    }
    return service;
  }

  /** All started, or none left running: a service that failed to start must not leave the others to hang jest. */
  static async startAll<T extends readonly Promise<Service>[]>(
    starting: T,
  ): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
    const settled = await Promise.allSettled(starting);
    const failed = settled.find((result) => result.status === 'rejected');
    if (!failed) return settled.map((result) => (result as PromiseFulfilledResult<Service>).value) as never;
    await Promise.all(settled.map((result) => (result.status === 'fulfilled' ? result.value.kill() : undefined)));
    throw failed.reason;
  }

  private get url(): string {
    return `http://127.0.0.1:${this.env['PORT']}`;
  }

  /** POSTs an order for `customer`, signed in, and returns its ticket's order id. */
  async order(customer: string): Promise<string> {
    if (!signer) throw new Error('no signer: beforeAll did not run');
    const response = await fetch(`${this.url}/api/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await signer.sign(customer)).accessToken}` },
    });
    if (response.status !== 202) throw new Error(`order for ${customer}: ${response.status} ${await response.text()}`);
    const { orderId } = (await response.json()) as { orderId: string };
    return orderId;
  }

  /** SIGTERM, then how the process ended. */
  async stop(): Promise<Exit> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  logLines(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  describe(): string {
    return `--- ${this.name} ---\n${this.stdout}${this.stderr}`;
  }
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
