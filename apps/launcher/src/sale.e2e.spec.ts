import { completionContract, rejectionContract, type Completion, type Rejection } from '@popup-store/contracts';
import { parseDecision } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { readPayloads } from '@popup-store/streams-transport';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderReport } from './lib/report-view';
import { failedInvariants, type SaleOutcome } from './lib/sale-outcome';
import { runSales } from './lib/sale-run';
import { PROCESS_NAMES } from '@popup-store/service-runner';
import { Terminal } from './lib/terminal';

const UNITS = 2_000;
const CUSTOMERS = 5_000;
const sale = saleKeys('e2e');

/**
 * `npm start`'s sale on the built apps (dist/, built by the test target's dependencies): every service its own
 * process, a crowd over HTTP with repeat customers, then every figure checked against what Redis holds.
 */
describe('a whole sale (npm start)', () => {
  let redis: TestRedis;
  let client: Redis;
  let dataDir: string;
  let outcome: SaleOutcome;
  let completions: Completion[];
  let rejections: Rejection[];

  beforeAll(async () => {
    // Its own Redis, never a shared one: the sale is checked against everything Redis holds for it.
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    dataDir = await mkdtemp(join(tmpdir(), 'popup-sale-'));
    let output = '';
    [outcome] = await runSales(
      {
        redisUrl: redis.url,
        redisClusterNodes: undefined,
        cluster: false,
        waitingRoom: false,
        admitPerSecond: 0,
        replicas: 1,
        sales: 1,
        saleId: sale.saleId,
        units: UNITS,
        customers: CUSTOMERS,
        rate: 1_500,
        durationMs: 600_000,
        seed: 7,
        connections: 64,
        reportFile: undefined,
        distDir: resolve(__dirname, '../../../dist'),
        dataDir,
      },
      { terminal: new Terminal({ write: (text: string) => (output += text) }), signal: new AbortController().signal },
    ).catch((error: unknown) => {
      throw new Error(`the sale failed: ${String(error)}\n--- launcher output ---\n${output}`);
    });
    completions = await readPayloads(client, sale.completed, completionContract, { strict: true });
    rejections = await readPayloads(client, sale.rejected, rejectionContract, { strict: true });
  }, 300_000);

  afterAll(async () => {
    await redis?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ran every service as its own process, none crashed, and every invariant held', () => {
    expect(outcome.restarts).toEqual(Object.fromEntries(PROCESS_NAMES.map((name) => [name, 0])));
    expect(failedInvariants(outcome)).toEqual([]);
    expect(outcome.report).toMatchObject({ ok: true, oversold: 0, lost: 0, duplicates: 0, outsideWindow: 0 });
    expect(outcome.lostTickets).toBe(0);
  });

  it('prints the report in the shape npm start has always printed: the same sections and rows, in order (README)', () => {
    const labels = renderReport([outcome])
      .split('\n')
      .map((line) => line.trim().split(/\s{2,}/)[0])
      .filter(Boolean);
    expect(labels.pop()).toMatch(/^Every invariant held \([\d.]+ s\)\.$/);
    expect(labels).toEqual([
      `Sale ${sale.saleId}`,
      'units sold',
      'time to sell out',
      'orders accepted',
      'rejected: sold out',
      'rejected: already bought',
      'rejected: sale closed',
      'oversold',
      'lost (auditor)',
      'lost tickets (crowd)',
      'duplicates',
      'outside the window',
      'decision latency',
      'completion latency',
      'Crowd over HTTP',
      'customers, orders',
      'requests',
      'answers',
      'HTTP latency',
      'Services',
      ...PROCESS_NAMES,
    ]);
  });

  it('had a crowd with repeat customers that got tickets over HTTP', () => {
    expect(outcome.crowd.customers).toBe(CUSTOMERS);
    expect(outcome.crowd.orders).toBeGreaterThan(CUSTOMERS);
    expect(outcome.crowd.statuses['202']).toBe(outcome.tickets.length);
    expect(outcome.crowd.acceptedCount).toBe(outcome.tickets.length);
  });

  it('decided every ticket the crowd got a 202 for', async () => {
    const decisions = await client.hmget(sale.decisions, ...outcome.tickets);
    expect(decisions.filter((decision) => decision === null)).toHaveLength(0);
    expect(await client.xlen(sale.customers)).toBe(0);
    expect(await client.xlen(sale.orders)).toBe(0);
  });

  it('sold min(units, distinct customers with a ticket in the window), each unit once', async () => {
    const customerOf = new Map([...completions, ...rejections].map((entry) => [entry.orderId, entry.customerId]));
    const decisions = await client.hmget(sale.decisions, ...outcome.tickets);
    const inWindow = new Set(
      outcome.tickets
        .filter((_, i) => {
          const decision = parseDecision(decisions[i] as string);
          return decision.outcome === 'completed' || decision.reason !== 'closed';
        })
        .map((ticket) => customerOf.get(ticket)),
    );
    const sold = Math.min(UNITS, inWindow.size);
    expect(inWindow.has(undefined)).toBe(false);
    expect(await client.hlen(sale.buyers)).toBe(sold);
    expect(await client.xlen(sale.completed)).toBe(sold);
    expect(completions).toHaveLength(sold);
    expect(outcome.report.sold).toBe(sold);
    const units = completions.map((completion) => completion.unit);
    expect(new Set(units).size).toBe(sold);
    expect(Math.min(...units)).toBe(1);
    expect(Math.max(...units)).toBeLessThanOrEqual(UNITS);
  });

  it('served no customer twice: buyers and completions are the same customers, one order each', async () => {
    const buyers = await client.hgetall(sale.buyers);
    expect(new Set(completions.map((completion) => completion.customerId)).size).toBe(completions.length);
    expect(Object.fromEntries(completions.map((c) => [c.customerId, `${c.orderId}:${c.unit}`]))).toEqual(buyers);
  });

  it('reported what Redis holds', async () => {
    const { report } = outcome;
    const byReason = (reason: Rejection['reason']) => rejections.filter((r) => r.reason === reason).length;
    const state = await client.hgetall(sale.state);
    expect(report).toMatchObject({
      saleId: sale.saleId,
      stock: UNITS,
      left: Number(state['left']),
      sold: completions.length,
      accepted: outcome.tickets.length,
      decided: await client.hlen(sale.decisions),
      pending: 0,
      deadLettered: 0,
      rejected: { closed: byReason('closed'), duplicate: byReason('duplicate'), sold_out: byReason('sold_out') },
      startsAt: Number(state['startsAt']),
      endsAt: Number(state['endsAt']),
    });
    expect(report.left).toBe(UNITS - report.sold);
    expect(report.decided).toBe(completions.length + rejections.length);
    expect(report.latencyMs.completion.count).toBe(completions.length);
    expect(report.latencyMs.decision.count).toBe(report.decided);
    if (report.sold === UNITS) {
      expect(report.soldOutAt).toBe(Number(state['soldOutAt']));
      expect(report.timeToSellOutMs).toBeGreaterThan(0);
    }
  });
});
