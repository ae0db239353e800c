import { consumerGroups, saleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServices, type RunningServices } from './test/pipeline';
import {
  allDecided,
  feedCustomers,
  openRegisteredSale,
  reportOf,
  saleFailures,
  switchSale,
  type FedSale,
} from './test/registered-sales';

const DEFAULT_SALE = 'multi-popup';
const SERVICES = ['order-generation', 'fulfilment-auditing', 'metrics-export'] as const;
/** Streams read per sale, over the three services: a blocked XREADGROUP each (the topology's readers). */
const READS_PER_SALE = consumerGroups(saleKeys(DEFAULT_SALE)).length;

/**
 * Every consumer service, as a process, serves the sales registered after it started (issue 14): three sales at
 * once, one of them the default SALE_ID, each fed its customers and checked for every invariant from Redis; a sale
 * closed and read to its end is no longer read, and a reopened one is read again.
 */
describe('every service serves every live sale', () => {
  let redis: TestRedis;
  let client: Redis;
  let dataDir: string;
  let services: RunningServices;
  const sales = new Map<string, FedSale>();

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    dataDir = await mkdtemp(join(tmpdir(), 'popup-multi-sale-'));
    sales.set(DEFAULT_SALE, await openRegisteredSale(client, DEFAULT_SALE, 40));
    services = await startServices({
      redisUrl: redis.url,
      saleId: DEFAULT_SALE,
      dataDir,
      observer: client,
      // Short blocking reads, so a reader that stopped shows in its consumer's idle time within a second.
      env: {
        'order-generation': { BLOCK_MS: '200' },
        'fulfilment-auditing': { COMPLETION_BLOCK_MS: '200', AUDIT_INTERVAL_MS: '200' },
      },
    });
  }, 90_000);

  afterAll(async () => {
    await services?.stop();
    await redis?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  const logOf = (name: string) => readFile(join(services.logDir, `${name}.log`), 'utf8');

  /** The connections blocked in an XREADGROUP now: one per stream each service reads, per sale it serves. */
  async function blockedReads(): Promise<number> {
    const clients = String(await client.client('LIST')).split('\n');
    return clients.filter((line) => / flags=b /.test(line) && / cmd=xreadgroup /.test(line)).length;
  }

  it('serves three sales at once, two registered after it started, each with every invariant held', async () => {
    await eventually(async () => (await blockedReads()) === READS_PER_SALE, 'the default sale read');
    sales.set('multi-spring', await openRegisteredSale(client, 'multi-spring', 25));
    sales.set('multi-autumn', await openRegisteredSale(client, 'multi-autumn', 60));
    // Registered, a sale is read within a second by every service.
    await eventually(async () => (await blockedReads()) === 3 * READS_PER_SALE, 'the new sales read', 1000);
    for (const fed of sales.values()) await feedCustomers(client, fed, 120);
    for (const fed of sales.values()) await allDecided(client, fed);
    for (const fed of sales.values()) await switchSale(client, fed, 'closed');
    for (const fed of sales.values()) {
      expect(await saleFailures(client, fed, await reportOf(client, fed))).toEqual([]);
    }
  }, 120_000);

  it('stops reading a sale closed and read to its end, and reads it again once reopened', async () => {
    const spring = sales.get('multi-spring') as FedSale;
    const autumn = sales.get('multi-autumn') as FedSale;
    const retired = (saleId: string) => `sale ${saleId} is closed and read to its end: no longer served`;
    for (const service of SERVICES) {
      for (const { sale } of [spring, autumn]) {
        await eventually(
          async () => (await logOf(service)).includes(retired(sale.saleId)),
          `${service} retired ${sale.saleId}`,
        );
      }
    }
    expect(await logOf('order-generation')).toContain(`stopped reading ${spring.sale.customers} for multi-spring`);
    // Their readers and blocking connections are gone: only the default sale's (closed too, but always served) block
    // on XREADGROUP, one per stream read: order-generation 1, fulfilment-auditing 2, metrics-export 2.
    await eventually(async () => (await blockedReads()) === READS_PER_SALE, 'only the default sale read');

    // Reopened (its score moves), it is read again: late customers get their orders decided.
    await switchSale(client, spring, 'open');
    await eventually(async () => (await blockedReads()) === 2 * READS_PER_SALE, 'the reopened sale read again', 5000);
    await feedCustomers(client, spring, 30, 'late');
    await allDecided(client, spring);
    await switchSale(client, spring, 'closed');
    expect(await saleFailures(client, spring, await reportOf(client, spring))).toEqual([]);
    await eventually(async () => (await blockedReads()) === READS_PER_SALE, 'the sale let go again');
    expect(services.restartLog).toEqual([]);
  }, 120_000);
});
