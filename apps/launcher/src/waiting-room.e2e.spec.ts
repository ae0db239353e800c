import { SaleGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderReport } from './lib/report-view';
import { failedInvariants } from './lib/sale-outcome';
import { runSales } from './lib/sale-run';
import { Terminal } from './lib/terminal';

const UNITS = 200;
const CUSTOMERS = 600;
const ADMIT_PER_SECOND = 300;

/** `npm start -- --waiting-room` as a user runs it: every order of the crowd goes through the line. */
describe('a sale played through the waiting room', () => {
  let redis: TestRedis;
  let dataDir: string;

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    dataDir = await mkdtemp(join(tmpdir(), 'popup-room-sale-'));
  });
  afterAll(async () => {
    await redis?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('admits the crowd at the rate, each accepted order with a pass, and keeps every invariant', async () => {
    let output = '';
    const [outcome] = await runSales(
      {
        redisUrl: redis.url,
        redisClusterNodes: undefined,
        cluster: false,
        waitingRoom: true,
        admitPerSecond: ADMIT_PER_SECOND,
        replicas: 1,
        sales: 1,
        saleId: 'room-e2e',
        units: UNITS,
        customers: CUSTOMERS,
        rate: 1_000,
        durationMs: 600_000,
        seed: 3,
        connections: 64,
        reportFile: undefined,
        distDir: resolve(__dirname, '../../../dist'),
        dataDir,
      },
      { terminal: new Terminal({ write: (text: string) => (output += text) }), signal: new AbortController().signal },
    ).catch((error: unknown) => {
      throw new Error(`the sale failed: ${String(error)}\n--- launcher output ---\n${output}`);
    });
    expect(failedInvariants(outcome)).toEqual([]);
    expect(outcome.lostTickets).toBe(0);
    expect(outcome.report).toMatchObject({ ok: true, sold: UNITS, oversold: 0, duplicates: 0 });
    // Nobody ordered without an admission: no 403, and every ticket came after one.
    expect(outcome.crowd.statuses['403']).toBeUndefined();
    expect(outcome.crowd.line?.admitted).toBeGreaterThanOrEqual(outcome.tickets.length);
    const room = await new SaleGears(redis.client(), saleKeys('room-e2e')).roomStatus();
    expect(room.admitted).toBeGreaterThanOrEqual(outcome.tickets.length);
    // At most the rate, plus a second's credit, over the time the crowd took.
    expect(room.admitted).toBeLessThanOrEqual(ADMIT_PER_SECOND * (outcome.crowd.durationMs / 1000 + 1) + 1);
    expect(output).toContain('waiting room on, admitting 300 a second');
    expect(renderReport([outcome])).toMatch(/waiting room\s+\d+ admitted; waited p50/);
  }, 300_000);
});
