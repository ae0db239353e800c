import { completionContract } from '@popup-store/contracts';
import { consumerGroups, saleKeys, SERVICES, type SaleKeys } from '@popup-store/keys';
import { startTestCluster, type TestCluster } from '@popup-store/redis-harness';
import { PROCESS_NAMES } from '@popup-store/service-runner';
import { readPayloads } from '@popup-store/streams-transport';
import type { Cluster } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { failedInvariants, type SaleOutcome } from './lib/sale-outcome';
import { runSales } from './lib/sale-run';
import { Terminal } from './lib/terminal';
import { startServices } from './test/pipeline';
import {
  allDecided,
  feedCustomers,
  openRegisteredSale,
  reportOf,
  saleFailures,
  switchSale,
  type FedSale,
} from './test/registered-sales';

const UNITS = 400;
const CUSTOMERS = 1_000;

/**
 * `npm start`'s sale on a 3-master Redis Cluster the harness started (each master with a replica): every service its
 * own process, as the launcher runs them, first once each, then two of every service at once; the same invariants
 * either way, checked against what the cluster holds.
 */
describe('a whole sale on a Redis Cluster', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let dataDir: string;

  beforeAll(async () => {
    cluster = await startTestCluster();
    client = cluster.client();
    dataDir = await mkdtemp(join(tmpdir(), 'popup-cluster-sale-'));
  }, 60_000);

  afterAll(async () => {
    await cluster?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function playSale(saleId: string, replicas: number): Promise<SaleOutcome> {
    let output = '';
    const [outcome] = await runSales(
      {
        redisUrl: undefined,
        redisClusterNodes: cluster.nodes,
        cluster: false,
        waitingRoom: false,
        admitPerSecond: 0,
        replicas,
        sales: 1,
        saleId,
        units: UNITS,
        customers: CUSTOMERS,
        rate: 800,
        durationMs: 600_000,
        seed: 3,
        connections: 64,
        reportFile: undefined,
        distDir: resolve(__dirname, '../../../dist'),
        dataDir: join(dataDir, saleId),
      },
      { terminal: new Terminal({ write: (text: string) => (output += text) }), signal: new AbortController().signal },
    ).catch((error: unknown) => {
      throw new Error(`the sale failed: ${String(error)}\n--- launcher output ---\n${output}`);
    });
    return outcome;
  }

  /** What the cluster holds of a sale that ended: exactly the stock sold, one unit per customer, every ticket decided. */
  async function expectSoldExactly(sale: SaleKeys, outcome: SaleOutcome): Promise<void> {
    expect(failedInvariants(outcome)).toEqual([]);
    expect(outcome.report).toMatchObject({ ok: true, sold: UNITS, left: 0, oversold: 0, lost: 0, duplicates: 0 });
    expect(outcome.lostTickets).toBe(0);
    const decisions = await client.hmget(sale.decisions, ...outcome.tickets);
    expect(decisions.filter((decision) => decision === null)).toHaveLength(0);
    expect(await client.xlen(sale.customers)).toBe(0);
    expect(await client.xlen(sale.orders)).toBe(0);
    const completions = await readPayloads(client, sale.completed, completionContract);
    expect(completions).toHaveLength(UNITS);
    expect(new Set(completions.map((completion) => completion.customerId)).size).toBe(UNITS);
    expect(new Set(completions.map((completion) => completion.unit)).size).toBe(UNITS);
    expect(await client.hlen(sale.buyers)).toBe(UNITS);
  }

  it('sells exactly the stock, one per customer, nothing lost, with every service once', async () => {
    const sale = saleKeys('cluster-one');
    const outcome = await playSale(sale.saleId, 1);
    expect(outcome.restarts).toEqual(Object.fromEntries(PROCESS_NAMES.map((name) => [name, 0])));
    await expectSoldExactly(sale, outcome);
  }, 240_000);

  it('holds the same invariants with two processes of every service, which share each consumer group', async () => {
    const sale = saleKeys('cluster-two');
    const outcome = await playSale(sale.saleId, 2);
    const twice = SERVICES.flatMap((service) => [`${service}-1`, `${service}-2`]);
    expect(outcome.restarts).toEqual(Object.fromEntries(['identity-dev', ...twice].map((name) => [name, 0])));
    await expectSoldExactly(sale, outcome);
    // Both processes of every worker read each of its streams in its group, each under its own name (CONSUMER_NAME).
    for (const { stream, group, service } of consumerGroups(sale)) {
      const consumers = (await client.xinfo('CONSUMERS', stream, group)) as unknown[][];
      const names = consumers.map((fields) => String(fields[fields.indexOf('name') + 1])).sort();
      expect({ stream, group, names }).toEqual({ stream, group, names: [`${service}-1`, `${service}-2`] });
    }
  }, 240_000);

  it('serves twelve sales registered after the services started, spread over the masters, each with every invariant', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `cluster-many-${i}`);
    const fed: FedSale[] = [await openRegisteredSale(client, ids[0], 20)];
    const services = await startServices({
      redisUrl: `redis://${cluster.nodes.split(',')[0]}`,
      redisClusterNodes: cluster.nodes,
      saleId: ids[0],
      dataDir: join(dataDir, 'many'),
      observer: client,
    });
    try {
      for (const [i, saleId] of ids.slice(1).entries()) fed.push(await openRegisteredSale(client, saleId, 20 + i));
      const masters = await Promise.all(fed.map(({ sale }) => cluster.masterOf(sale.state)));
      expect(new Set(masters.map((master) => master.id)).size).toBe(3);
      for (const sale of fed) await feedCustomers(client, sale, 60);
      for (const sale of fed) await allDecided(client, sale, 60_000);
      for (const sale of fed) await switchSale(client, sale, 'closed');
      for (const sale of fed) expect(await saleFailures(client, sale, await reportOf(client, sale))).toEqual([]);
      expect(services.restartLog).toEqual([]);
    } finally {
      await services.stop();
    }
  }, 240_000);
});
