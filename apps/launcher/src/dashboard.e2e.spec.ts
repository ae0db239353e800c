import { ROOM_DEFAULTS, SaleGears } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { entryPoint, type RunningServices } from '@popup-store/service-runner';
import type { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { playCrowd } from './lib/crowd';
import { DIST_DIR, openSale, startServices } from './test/pipeline';
import { PrometheusProcess, promtoolCheckMetrics, SCRAPE_INTERVAL_S, type RangeSeries } from './test/prometheus';

const DASHBOARD = resolve(DIST_DIR, '../grafana/dashboards/popup-sale.json');
/** What Grafana makes of `$__rate_interval` with a 1 s scrape interval: four scrapes. */
const RATE_INTERVAL = `${4 * SCRAPE_INTERVAL_S}s`;

type Json = Record<string, unknown>;

/** Every PromQL query of the dashboard (the panels inside collapsed rows too), with where it is. */
function prometheusQueries(dashboard: Json): { where: string; expr: string }[] {
  const panels = (list: unknown): Json[] =>
    ((list ?? []) as Json[]).flatMap((panel) => [panel, ...panels(panel['panels'])]);
  return panels(dashboard['panels']).flatMap((panel) =>
    ((panel['targets'] ?? []) as Json[])
      .filter((target) => ((target['datasource'] ?? panel['datasource']) as Json | undefined)?.['uid'] === 'prometheus')
      .map((target) => ({
        where: `${String(panel['title'])} ${String(target['refId'])}`,
        expr: String(target['expr']),
      })),
  );
}

/**
 * The sale dashboard's Prometheus panels against the real thing: every service as `npm start` runs it, a crowd
 * over HTTP, and Debian's Prometheus scraping metrics-export through the sale. Each PromQL query of
 * grafana/dashboards/popup-sale.json, with the dashboard's variables as Grafana fills them, must return data
 * (/api/v1/query_range); `promtool check metrics` must accept the endpoint.
 */
describe('the sale dashboard on a real Prometheus', () => {
  let redis: TestRedis;
  let client: Redis;
  let dir: string;
  let sale: SaleKeys;
  let services: RunningServices;
  let prometheus: PrometheusProcess;
  let window: { from: number; to: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'popup-dashboard-'));
    redis = await startTestRedis();
    client = redis.client();
    // Fewer units than customers: completions and sold_out rejections both, each at a rate above zero.
    sale = await openSale(client, `${redis.namespace}-dashboard`, 400);
    // The crowd goes through the waiting room, admitted faster than it arrives: slower, the line closes at the
    // sell-out before any order is taken from a stale status, and the sold_out panels would have nothing to show.
    await new SaleGears(client, sale).configureRoom({ ...ROOM_DEFAULTS, on: true, admitPerSecond: 1000 });
    services = await startServices({ redisUrl: redis.url, saleId: sale.saleId, dataDir: dir, observer: client });
    prometheus = await PrometheusProcess.start(join(dir, 'prometheus'), [new URL(services.metricsUrl).host]);
    const scraped = async (query: string) =>
      (await prometheus.queryRange(query, Date.now() - 60_000, Date.now())).length > 0;
    await eventually(() => scraped(`up{job="metrics-export"} == 1`), 'prometheus scraping metrics-export', 30_000);

    const from = Date.now();
    const crowd = await playCrowd({
      main: entryPoint(DIST_DIR, 'crowd'),
      urls: services.intakeUrls,
      sale: sale.saleId,
      customers: 700,
      rate: 100,
      seed: 7,
      summaryFile: join(dir, 'crowd-summary.json'),
      logFile: join(dir, 'crowd.log'),
      identity: services.identity,
      waitingRoom: true,
      signal: new AbortController().signal,
    });
    expect(crowd.acceptedCount).toBeGreaterThan(400);
    expect(crowd.line?.admitted).toBeGreaterThanOrEqual(crowd.acceptedCount);
    await eventually(
      async () => (await client.hlen(sale.decisions)) === crowd.acceptedCount,
      'every order decided',
      60_000,
    );
    // Scraped after the last decision: Prometheus's count is Redis's.
    const decided = String(crowd.acceptedCount);
    await eventually(
      async () =>
        (
          await prometheus.queryRange(
            `sum(popup_decisions_total{sale="${sale.saleId}"})`,
            Date.now() - 5_000,
            Date.now(),
          )
        )
          .flatMap((series) => series.values)
          .some(([, value]) => value === decided),
      'prometheus to scrape the last decision',
      30_000,
    );
    window = { from, to: Date.now() };
  }, 240_000);

  afterAll(async () => {
    await prometheus?.stop();
    await services?.stop();
    await redis?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has PromQL queries on its panels', () => {
    const queries = prometheusQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json);
    expect(queries.length).toBeGreaterThanOrEqual(10);
  });

  it('gets data for every PromQL query of the dashboard, over the sale', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json;
    for (const { where, expr } of prometheusQueries(dashboard)) {
      const query = expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$sale', sale.saleId);
      const series: RangeSeries[] = await prometheus.queryRange(query, window.from, window.to);
      const values = series.flatMap((one) => one.values.map(([, value]) => Number(value)));
      // A query that names a metric or label metrics-export does not serve answers no series at all; a latency
      // quantile over no completions answers NaN.
      expect([where, query, values.some(Number.isFinite)]).toEqual([where, query, true]);
    }
  });

  it("lists the sale among the $sale variable's values, as Grafana asks Prometheus for them", async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json;
    const variable = ((dashboard['templating'] as Json)['list'] as Json[]).find((one) => one['name'] === 'sale');
    const definition = /^label_values\((\w+), (\w+)\)$/.exec(String(variable?.['definition']));
    expect(definition).not.toBeNull();
    const [, metric, label] = definition ?? [];
    expect(await prometheus.labelValues(label, metric, window.from, window.to)).toContain(sale.saleId);
  });

  it('rates completions above zero while the sale runs, and counts what Redis decided', async () => {
    const completedFlow = await prometheus.queryRange(
      `sum(rate(popup_decisions_total{sale="${sale.saleId}",outcome="completed"}[${RATE_INTERVAL}]))`,
      window.from,
      window.to,
    );
    expect(Math.max(...completedFlow.flatMap((one) => one.values.map(([, value]) => Number(value))))).toBeGreaterThan(
      0,
    );
    const sold = await prometheus.queryRange(
      `sum(popup_decisions_total{sale="${sale.saleId}",outcome="completed"})`,
      window.to - 1000,
      window.to,
    );
    expect(sold.flatMap((one) => one.values.map(([, value]) => Number(value))).at(-1)).toBe(400);
  });

  it('serves an exposition promtool accepts', async () => {
    const exposition = await (await fetch(`${services.metricsUrl}/metrics`)).text();
    expect(exposition).toContain(`popup_stock_left{`);
    expect(promtoolCheckMetrics(exposition)).toEqual({ status: 0, output: '' });
  });
});
