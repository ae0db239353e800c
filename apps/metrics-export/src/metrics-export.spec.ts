import { eventually } from '@popup-store/redis-harness';
import type { INestApplication } from '@nestjs/common';
import { rejectionReasons } from '@popup-store/contracts';
import { loadGears, SaleGears, type SaleStatus } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricsConfig } from './app/metrics-config';
import { startMetricsExport } from './app/metrics-export';
import { sampledStreams } from './sampling/sale-sample';
import { seriesKeys } from './series/series-keys';
import { detectBackend, type SeriesBackend } from './series/series-writer';
import { prometheusFamily, prometheusSeries, SALE_METRICS } from './otel/sale-metrics';
import { scrape, valueOf } from './test/prometheus';
import { playSale } from '@popup-store/sale-fixture';
import { lastValue, pointCount } from './test/series-points';
import { freePort } from '@popup-store/redis-process';

// The same spec covers both backends: capped streams on a Redis without RedisTimeSeries (the spawned 7.x here),
// RedisTimeSeries on the Redis 8 container the harness starts where Docker is available.
describe('metrics-export on a finished sale', () => {
  let redis: TestRedis;
  let client: Redis;
  let sale: SaleKeys;
  let backend: SeriesBackend;
  let app: INestApplication;
  let port: number;
  let status: SaleStatus;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
    sale = saleKeys(`${redis.namespace}-export`);
    await playSale(client, sale);
    status = await new SaleGears(client, sale).status();
    backend = await detectBackend(client);
    port = await freePort();
    const env = {
      REDIS_URL: redis.url,
      SALE_ID: sale.saleId,
      LOG_LEVEL: 'silent',
      METRICS_INTERVAL_MS: '50',
      METRICS_PORT: String(port),
    };
    app = await startMetricsExport(metricsConfig(env));
    // A Redis to start, a sale to play and a Nest app to boot: more than jest's 5 s on a busy CI machine.
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await redis?.dispose();
  });

  const series = () => seriesKeys(sale);
  const value = (key: string) => lastValue(client, key, backend);

  it('answers /health/ready 200 while it reads the decision streams, 503 while it cannot', async () => {
    const ready = async () => (await fetch(`${await app.getUrl()}/health/ready`)).status;
    await eventually(async () => (await ready()) === 200, 'ready');
    expect((await fetch(`${await app.getUrl()}/health/live`)).status).toBe(200);
    // The rejected stream's key turned into a string: its reads fail until it is a stream again.
    const aside = `${sale.rejected}:aside`;
    await client.rename(sale.rejected, aside);
    await client.set(sale.rejected, 'not a stream');
    await eventually(async () => (await ready()) === 503, 'not ready');
    await client.del(sale.rejected);
    await client.rename(aside, sale.rejected);
    await eventually(async () => (await ready()) === 200, 'ready again');
  });

  it('uses RedisTimeSeries where the server has it, capped streams elsewhere', async () => {
    if (redis.source === 'container') expect(backend).toBe('timeseries');
    await eventually(async () => (await value(series().stockLeft.key)) !== undefined, 'a first point');
    expect(await client.type(series().stockLeft.key)).toBe(backend === 'timeseries' ? 'TSDB-TYPE' : 'stream');
  });

  it('writes every series with the values Redis holds', async () => {
    expect(status.counts).toEqual({ completed: 2, closed: 1, duplicate: 1, sold_out: 1 });
    const keys = series();
    const latency = (['p50', 'p95', 'p99'] as const).map((q) => keys.latency(q).key);
    const rates = (['completed', 'rejected', 'decisions'] as const).map((of) => keys.rate(of).key);
    const enqueues = sampledStreams(sale).map(({ name }) => keys.enqueue(name).key);
    await eventually(async () => {
      const all = await Promise.all([...latency, ...rates, ...enqueues].map((key) => value(key)));
      return all.every((v) => v !== undefined);
    }, 'latency, rate and enqueue series');

    expect(await value(keys.stockLeft.key)).toBe(status.left);
    expect(await value(keys.stockInitial.key)).toBe(2);
    for (const reason of rejectionReasons) expect(await value(keys.rejections(reason).key)).toBe(status.counts[reason]);
    for (const { name, key } of sampledStreams(sale))
      expect([name, await value(keys.length(name).key)]).toEqual([name, await client.xlen(key)]);
    expect(await client.xlen(`${sale.orders}:dead-letter`)).toBe(1);

    // Orders were submitted ORDER_AGE_MS (40 ms) before they were decided; both completions fall in one sampling window.
    const [p50, p95, p99] = (await Promise.all(latency.map(value))) as number[];
    expect(p50).toBeGreaterThanOrEqual(40);
    expect(p50).toBeLessThanOrEqual(p95 as number);
    expect(p95).toBeLessThanOrEqual(p99 as number);
    for (const key of [...rates, ...enqueues]) expect(await value(key)).toBeGreaterThanOrEqual(0);
  });

  it("writes every series key the dashboard's Redis time series panels read", async () => {
    // The panels of grafana/dashboards/popup-sale.json that read `{sale:$sale}:ts:…` with this backend's command.
    type Json = Record<string, unknown>;
    const dashboard = JSON.parse(
      readFileSync(join(__dirname, '../../../grafana/dashboards/popup-sale.json'), 'utf8'),
    ) as Json;
    const panels = (list: unknown): Json[] =>
      ((list ?? []) as Json[]).flatMap((panel) => [panel, ...panels(panel['panels'])]);
    const command = backend === 'timeseries' ? 'ts.range' : 'xrange';
    const keys = panels(dashboard['panels'])
      .flatMap((panel) => (panel['targets'] ?? []) as Json[])
      .filter((target) => target['command'] === command && String(target['keyName']).includes(':ts:'))
      .map((target) => String(target['keyName']).replaceAll('${sale}', sale.saleId).replaceAll('$sale', sale.saleId));
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys)
      await eventually(async () => (await client.exists(key)) === 1, `${key}, which the dashboard reads`);
  });

  it('turns entries added between two samples into a per-second rate', async () => {
    const key = series().enqueue('customers:dead-letter').key;
    const before = await pointCount(client, key, backend);
    for (let i = 0; i < 5; i++) await client.xadd(`${sale.customers}:dead-letter`, '*', 'note', String(i));
    await eventually(async () => ((await value(key)) ?? 0) > 0, 'a positive enqueue rate');
    expect(await pointCount(client, key, backend)).toBeGreaterThan(before);
    await eventually(async () => (await value(series().length('customers:dead-letter').key)) === 5, 'the new length');
  });

  it('serves the sale on /metrics under the documented names', async () => {
    const labels = { sale: sale.saleId };
    // The consumer group reads the completed and rejected streams from their start: every decision is seen once.
    await eventually(
      async () =>
        valueOf((await scrape(port)).samples, 'popup_order_latency_count', { ...labels, outcome: 'rejected' }) === 3,
      'the histogram',
    );
    const { samples, types } = await scrape(port);
    const at = (name: string, more: Record<string, string> = {}) => valueOf(samples, name, { ...labels, ...more });

    expect(at('popup_stock_left')).toBe(status.left);
    expect(at('popup_stock_initial')).toBe(2);
    expect(at('popup_backlog')).toBe(await client.xlen(sale.customers));
    expect(at('popup_stream_length', { stream: 'completed' })).toBe(await client.xlen(sale.completed));
    expect(at('popup_stream_length', { stream: 'orders:dead-letter' })).toBe(1);
    expect(at('popup_stream_entries_added_total', { stream: 'customers' })).toBe(7);
    expect(at('popup_decisions_total', { outcome: 'completed' })).toBe(2);
    for (const reason of rejectionReasons) expect(at('popup_decisions_total', { outcome: 'rejected', reason })).toBe(1);
    expect(at('popup_order_latency_count', { outcome: 'completed' })).toBe(2);
    expect(at('popup_order_latency_bucket', { outcome: 'completed', le: '10' })).toBe(0);
    expect(at('popup_order_latency_bucket', { outcome: 'completed', le: '+Inf' })).toBe(2);
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith('popup_')))).toEqual({
      popup_stock_left: 'gauge',
      popup_stock_initial: 'gauge',
      popup_stream_length: 'gauge',
      popup_backlog: 'gauge',
      popup_stream_entries_added_total: 'counter',
      popup_decisions_total: 'counter',
      popup_room_waiting: 'gauge',
      popup_room_admitted_total: 'counter',
      popup_room_abandoned_total: 'counter',
      popup_room_admit_rate: 'gauge',
      popup_room_estimate_error: 'gauge',
      popup_order_latency: 'histogram',
    });
    // The fixture's waiting room: ann and bob admitted, gus in line, at 2 a second.
    expect(at('popup_room_admitted_total')).toBe(2);
    expect(at('popup_room_waiting', { where: 'line' })).toBe(1);
    expect(at('popup_room_admit_rate')).toBe(2);
    expect(at('popup_room_estimate_error')).toBeGreaterThanOrEqual(0);
    // What is served is the table SALE_METRICS, kind for kind.
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith('popup_')))).toEqual(
      Object.fromEntries(Object.values(SALE_METRICS).map((metric) => [prometheusFamily(metric), metric.kind])),
    );
  });
});

describe('docs/metrics.md', () => {
  it('lists in its Prometheus table exactly the series of SALE_METRICS', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/metrics.md'), 'utf8');
    const section = doc.split(/^## /m).find((part) => part.startsWith('Prometheus')) ?? '';
    // A row's first cell names its series: `x_bucket`, `_sum`, `_count` stands for x_bucket, x_sum and x_count.
    const documented = section.split('\n').flatMap((line) => {
      const [first, ...suffixes] = [...(/^\|([^|]*)\|/.exec(line)?.[1] ?? '').matchAll(/`([\w:]+)`/g)].map(
        ([, token]) => token as string,
      );
      if (!first?.startsWith('popup_')) return [];
      const stem = first.slice(0, first.lastIndexOf('_'));
      return [first, ...suffixes.map((suffix) => `${stem}${suffix}`)];
    });
    expect(documented.sort()).toEqual(Object.values(SALE_METRICS).flatMap(prometheusSeries).sort());
  });
});
