import { alertContract, saleReportContract, type SaleReport } from '@popup-store/contracts';
import { SaleGears } from '@popup-store/gears-client';
import { runArchive, type SaleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { readPayloads } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSale, postOrder, startServices, type RunningServices } from './test/pipeline';

const ADMIN_TOKEN = 'start-over-operator-token-0123';
const FIRST_UNITS = 200;
const SECOND_UNITS = 40;
const CUSTOMERS = 150;

/**
 * An operator starts a sale over while shoppers buy and every service runs as its own process: the new run is
 * audited and reported on its own (no alert, a clean report), and every ticket of the earlier run still answers,
 * with its decision or 410 `earlier_run`.
 */
describe('a start-over mid-sale (a new run)', () => {
  let redis: TestRedis;
  let client: Redis;
  let dataDir: string;
  let sale: SaleKeys;
  let services: RunningServices;

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    dataDir = await mkdtemp(join(tmpdir(), 'popup-start-over-'));
    sale = await openSale(client, 'restart', FIRST_UNITS);
    services = await startServices({
      redisUrl: redis.url,
      saleId: sale.saleId,
      dataDir,
      observer: client,
      env: { 'customer-intake': { ADMIN_TOKEN } },
    });
  }, 90_000);

  afterAll(async () => {
    await services?.stop();
    await redis?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  const operator = (method: 'PUT' | 'GET', path: string, body?: object) =>
    fetch(`${services.intakeUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));
  const ticketOf = async (name: string, orderId: string) => {
    const response = await fetch(`${services.intakeUrl}/api/sales/${sale.saleId}/orders/${orderId}`, {
      headers: { authorization: await services.identity.bearer(name) },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** Orders of `names`, all at once; the tickets taken (202). */
  const orderAll = async (names: string[]) => {
    const answers = await Promise.all(names.map((name) => postOrder(services, name)));
    return answers.flatMap((answer, i) =>
      answer.status === 202 ? [{ name: names[i] as string, orderId: answer.body['orderId'] as string }] : [],
    );
  };

  it('audits and reports the new run on its own, and every earlier ticket answers', async () => {
    const names = Array.from({ length: CUSTOMERS }, (_, i) => `shopper-${i}`);
    // The first run: half the crowd, then the start-over while the other half's orders are on their way.
    const first = await orderAll(names.slice(0, CUSTOMERS / 2));
    const inFlight = orderAll(names.slice(CUSTOMERS / 2));
    // A start-over is of a sale that sold: wait for its first unit (the crowd's second half still arriving).
    await eventually(async () => Number(await client.hget(sale.state, 'completed')) > 0, 'a unit sold', 30_000);
    const restarted = await operator('PUT', `/api/admin/sales/${sale.saleId}`, {
      units: SECOND_UNITS,
      durationSeconds: 600,
      force: true,
    });
    expect(restarted).toMatchObject({ status: 200, body: { run: 2 } });
    expect((restarted.body['soldBefore'] as number) > 0).toBe(true);
    const crossing = await inFlight;
    // The second run: the whole crowd again, earlier buyers included (a new run, a new unit for each).
    await eventually(
      async () => ((await (await fetch(`${services.intakeUrl}/api/sale`)).json()) as { run: number }).run === 2,
      'intake on run 2',
    );
    // Tickets of the new run: orders taken after the start-over, the crossing ones among them.
    const second = [...crossing.filter(({ orderId }) => orderId.startsWith('2.')), ...(await orderAll(names))];
    expect(second.every(({ orderId }) => orderId.startsWith('2.'))).toBe(true);

    await eventually(
      async () =>
        (await client.xlen(sale.customers)) === 0 &&
        (await client.xlen(sale.orders)) === 0 &&
        (await client.hlen(sale.decisions)) >= second.length,
      'the new run drained',
      60_000,
    );
    expect((await operator('PUT', `/api/admin/sales/${sale.saleId}/state`, { state: 'closed' })).status).toBe(200);
    let report: SaleReport | undefined;
    await eventually(
      async () => {
        const text = await client.get(sale.report);
        report = text ? saleReportContract.schema.parse(JSON.parse(text)) : undefined;
        return report !== undefined && report.decided === (await client.hlen(sale.decisions));
      },
      'the new run’s report',
      30_000,
    );
    const alerts = await readPayloads(client, sale.alerts, alertContract, { strict: true });
    expect(alerts).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      violations: [],
      stock: SECOND_UNITS,
      oversold: 0,
      duplicates: 0,
      lost: 0,
    });
    expect(report?.sold).toBe(SECOND_UNITS);
    expect(await client.hget(sale.audit, 'status')).toBe('ok');
    const status = await new SaleGears(client, sale).status();
    expect(status).toMatchObject({ run: 2, stock: SECOND_UNITS });
    expect(status.left + status.counts.completed).toBe(SECOND_UNITS);

    // Every ticket answers its decision, wherever it was made, or 410 earlier_run: none is pending. A ticket of the
    // earlier run taken by an intake that had not yet seen the start-over went into the new run, and is decided there.
    const tickets = [...first, ...crossing.filter(({ orderId }) => orderId.startsWith('1.')), ...second];
    const answers = await Promise.all(tickets.map(({ name, orderId }) => ticketOf(name, orderId)));
    const outcomes = answers.map(({ status: code, body }) =>
      code === 410 ? String(body['reason']) : code === 200 ? String(body['status']) : `HTTP ${code}`,
    );
    expect(outcomes.filter((outcome) => !['completed', 'rejected', 'earlier_run'].includes(outcome))).toEqual([]);
    const earlierRun = outcomes.filter((_, i) => tickets[i]?.orderId.startsWith('1.'));
    expect(earlierRun.length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome, i) => tickets[i]?.orderId.startsWith('2.') && outcome === 'earlier_run')).toEqual(
      [],
    );
    // Orders taken before the start-over were decided in the earlier run or in none: none from the new stock.
    const firstCompleted = outcomes.slice(0, first.length).filter((outcome) => outcome === 'completed').length;
    expect(firstCompleted).toBeLessThanOrEqual(restarted.body['soldBefore'] as number);
    // The earlier run's records are kept apart, and its decisions are the ones its tickets read.
    const archive = runArchive(sale, 1);
    expect(Number(await client.hget(archive.state, 'completed'))).toBe(restarted.body['soldBefore']);
    expect(await client.hlen(archive.decisions)).toBeGreaterThan(0);
  }, 180_000);
});
