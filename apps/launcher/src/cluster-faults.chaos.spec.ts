import { loadedVersion, POPUP_LIBRARY } from '@popup-store/gears-client';
import { nodeConnection } from '@popup-store/redis-connection';
import { eventually } from '@popup-store/redis-harness';
import type { Cluster } from 'ioredis';
import { PROCESS_NAMES } from '@popup-store/service-runner';
import type { CrowdSummary } from './lib/crowd';
import { failedInvariants } from './lib/sale-outcome';
import { FaultSale, outcomeFigures, probeFigures } from './test/sale-under-fault';

const UNITS = 10_000;
const RATE = 300;
/** Short reclaims: an entry a consumer read from the old master but had not settled is taken over soon after. */
const RECLAIM_IDLE_MS = '3000';

/**
 * A Redis Cluster's faults in the middle of a sale, every service its own process on the cluster: the master of the
 * sale's slot killed (the replica is promoted, the services find it by themselves, and once the old master is back
 * as its replica, customer-intake answers 202 again), and the sale's slot moved to a master added mid-sale.
 */
describe('a Redis Cluster during a sale', () => {
  let sale: FaultSale | undefined;

  afterEach(async () => {
    await sale?.dispose();
    sale = undefined;
  });

  /**
   * A sale on a cluster of its own, under way (the crowd playing, probes sent, 300 orders decided), with short
   * reclaims. The crowd's promise comes wrapped: an async function returning it bare would wait for it.
   */
  async function underWay(name: string, options: { replicas?: number; intake?: NodeJS.ProcessEnv } = {}) {
    const running = (sale = await FaultSale.onCluster({
      name,
      units: UNITS,
      replicas: options.replicas,
      env: {
        'customer-intake': options.intake ?? {},
        'order-generation': { RECLAIM_IDLE_MS },
        'fulfilment-auditing': { RECLAIM_IDLE_MS },
      },
    }));
    const crowd = running.crowd(3_000, RATE);
    crowd.catch(() => undefined);
    running.startProbes();
    await eventually(async () => (await running.decided()) >= 300, 'the sale under way', 30_000);
    return { running, crowd: { summary: crowd } };
  }

  /** The end of the sale after the fault: the crowd done, the probes stopped, the report and the ticket check. */
  async function playedOut(running: FaultSale, crowd: { summary: Promise<CrowdSummary> }) {
    const crowdSummary = await crowd.summary;
    const probes = await running.stopProbes();
    return { probes, outcome: await running.finish(crowdSummary) };
  }

  it.each([1, 2])(
    'kill -9 of the sale’s master, %i process(es) of each service: its replica takes over, no service restarts, every ticket answered 202 is decided',
    async (replicas) => {
      const { running, crowd } = await underWay(`kill-master-${replicas}`, { replicas });

      const master = await running.cluster.masterOf(running.sale.state);
      const killedAt = Date.now();
      await running.cluster.process.kill(master.port);
      await eventually(
        async () => (await running.cluster.masterOf(running.sale.state).catch(() => master)).port !== master.port,
        'a replica promoted',
        30_000,
      );
      const promotedAt = Date.now();
      // The promoted master has no replica yet: customer-intake answers 503 rather than a 202 only one node holds,
      // until the old master is back (as an orchestrator restarts it), now a replica of the new one.
      await running.cluster.process.restart(master.port);
      await eventually(
        async () =>
          (await running.cluster.topology()).some((node) => node.port === master.port && node.role === 'replica'),
        'the old master back as a replica',
        30_000,
      );
      const replicaBackAt = Date.now();
      const flowing = await running.ordersFlowAgain(killedAt);
      const { probes, outcome } = await playedOut(running, crowd);
      const duringFailover = probeFigures(probes, killedAt, promotedAt);
      console.info(
        `master failover figures, ${replicas} process(es) of each service\n${JSON.stringify(
          {
            promotedAfterMs: promotedAt - killedAt,
            replicaBackAfterMs: replicaBackAt - killedAt,
            ordersFlowAgainAfterKillMs: flowing - killedAt,
            probesDuringFailover: duringFailover,
            probesWithoutReplica: probeFigures(probes, promotedAt, replicaBackAt),
            ...outcomeFigures(outcome),
          },
          null,
          2,
        )}`,
      );
      // Every ticket was on the replica before its 202 (customer-intake WAITs for it on a cluster).
      expect(outcome.lostTickets).toBe(0);
      expect(failedInvariants(outcome)).toEqual([]);
      expect(duringFailover.unavailableWithoutRetryAfter).toBe(0);
      expect(Object.values(outcome.restarts).filter((count) => count > 0)).toEqual([]);
      expect(Object.keys(outcome.restarts)).toHaveLength(1 + (PROCESS_NAMES.length - 1) * replicas);
    },
    300_000,
  );

  it('the sale’s slot moved to a master added mid-sale: the library is loaded there before, every service follows MOVED and ASK, nothing lost', async () => {
    // The added master has no replica: WAIT for one would refuse every order once the sale is there.
    const { running, crowd } = await underWay('reshard', { intake: { REDIS_WAIT_REPLICAS: '0' } });

    const addedAt = Date.now();
    const added = await running.cluster.process.addMaster();
    const direct = nodeConnection(running.client as Cluster, { host: '127.0.0.1', port: added.port });
    try {
      // fulfilment-auditing's GearsWatcher loads the library on a master with no slot yet.
      await eventually(
        async () => (await loadedVersion(direct).catch(() => null)) === POPUP_LIBRARY.version,
        'the library on the added master',
        15_000,
      );
    } finally {
      direct.disconnect();
    }
    const loadedAfterMs = Date.now() - addedAt;
    const movingAt = Date.now();
    await running.cluster.process.migrateSlot(
      await running.cluster.process.keySlot(running.sale.state),
      added.port,
      10,
    );
    const movedAt = Date.now();
    expect((await running.cluster.masterOf(running.sale.state)).port).toBe(added.port);
    const flowing = await running.ordersFlowAgain(movedAt);
    const { probes, outcome } = await playedOut(running, crowd);
    console.info(
      `resharding figures\n${JSON.stringify(
        {
          libraryLoadedAfterMs: loadedAfterMs,
          slotMovedInMs: movedAt - movingAt,
          ordersFlowAfterMoveMs: flowing - movedAt,
          probesWhileMoving: probeFigures(probes, movingAt, movedAt),
          ...outcomeFigures(outcome),
        },
        null,
        2,
      )}`,
    );
    expect(outcome.lostTickets).toBe(0);
    expect(failedInvariants(outcome)).toEqual([]);
    expect(outcome.restarts).toEqual(Object.fromEntries(PROCESS_NAMES.map((name) => [name, 0])));
  }, 300_000);
});
