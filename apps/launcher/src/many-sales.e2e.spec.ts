import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderReport } from './lib/report-view';
import { failedInvariants, launchJson, type SaleOutcome } from './lib/sale-outcome';
import { runSales } from './lib/sale-run';
import { Terminal } from './lib/terminal';

const SALES = 3;
const UNITS = 150;
const CUSTOMERS = 400;

/**
 * `npm start -- --sales 3`: three sales at once through one set of services, each with its crowd over HTTP on its
 * own routes (`/api/sales/<sale>/orders`), each reported and checked on its own, then their total.
 */
describe('many sales at once (npm start -- --sales)', () => {
  let redis: TestRedis;
  let client: Redis;
  let dataDir: string;
  let outcomes: SaleOutcome[];
  let output = '';

  beforeAll(async () => {
    // Its own Redis: the registry of sales is one key for the whole Redis.
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    dataDir = await mkdtemp(join(tmpdir(), 'popup-many-sales-'));
    outcomes = await runSales(
      {
        redisUrl: redis.url,
        redisClusterNodes: undefined,
        cluster: false,
        waitingRoom: false,
        admitPerSecond: 0,
        replicas: 1,
        sales: SALES,
        saleId: 'many',
        units: UNITS,
        customers: CUSTOMERS,
        rate: 400,
        durationMs: 600_000,
        seed: 5,
        connections: 64,
        reportFile: undefined,
        distDir: resolve(__dirname, '../../../dist'),
        dataDir,
      },
      { terminal: new Terminal({ write: (text: string) => (output += text) }), signal: new AbortController().signal },
    ).catch((error: unknown) => {
      throw new Error(`the sales failed: ${String(error)}\n--- launcher output ---\n${output}`);
    });
  }, 240_000);

  afterAll(async () => {
    await redis?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('sells each sale out on its own, every invariant held in each', async () => {
    expect(outcomes.map(({ report }) => report.saleId)).toEqual(['many-1', 'many-2', 'many-3']);
    for (const outcome of outcomes) {
      const { saleId } = outcome.report;
      expect([saleId, failedInvariants(outcome)]).toEqual([saleId, []]);
      expect([saleId, outcome.report.sold]).toEqual([saleId, UNITS]);
      // Each crowd's tickets are its own sale's: every one has a decision in that sale, none in another.
      expect([saleId, outcome.crowd.acceptedCount]).toEqual([saleId, outcome.report.accepted]);
      const sale = saleKeys(saleId);
      expect(await client.hlen(sale.buyers)).toBe(UNITS);
      const other = saleKeys(saleId === 'many-1' ? 'many-2' : 'many-1');
      expect((await client.hmget(other.decisions, ...outcome.tickets.slice(0, 50))).filter(Boolean)).toEqual([]);
    }
  });

  it('prints a report per sale and their total, and writes them as JSON', () => {
    const table = renderReport(outcomes);
    for (const { report } of outcomes) expect(table).toContain(`\nSale ${report.saleId}\n`);
    expect(table).toContain(`All ${SALES} sales`);
    expect(table).toContain(`Every invariant held in all ${SALES} sales`);
    const json = launchJson(outcomes) as { sales: { saleId: string }[]; failedInvariants: string[] };
    expect(json.sales.map(({ saleId }) => saleId)).toEqual(['many-1', 'many-2', 'many-3']);
    expect(json.failedInvariants).toEqual([]);
  });
});
