import { eventually } from '@popup-store/redis-harness';
import { PROCESS_NAMES } from '@popup-store/service-runner';
import { failedInvariants } from './lib/sale-outcome';
import { FaultSale, outcomeFigures, probeFigures } from './test/sale-under-fault';

const UNITS = 10_000;
const RATE = 300;
/** Short reclaims: an entry a consumer read from the old master but had not settled is taken over soon after. */
const RECLAIM_IDLE_MS = '3000';

/**
 * A master of the Redis Cluster killed in the middle of a sale (kill -9 of the one serving the sale's slot), every
 * service its own process on the cluster: the replica is promoted, the services find it by themselves, and once the
 * old master is back as its replica, customer-intake answers 202 again.
 */
describe('a master failover during a sale', () => {
  let sale: FaultSale | undefined;

  afterEach(async () => {
    await sale?.dispose();
    sale = undefined;
  });

  it.each([1, 2])(
    'kill -9 of the sale’s master, %i process(es) of each service: its replica takes over, no service restarts, every ticket answered 202 is decided',
    async (replicas) => {
      const running = (sale = await FaultSale.onCluster({
        name: `kill-master-${replicas}`,
        units: UNITS,
        replicas,
        env: {
          'order-generation': { RECLAIM_IDLE_MS },
          'fulfilment-auditing': { RECLAIM_IDLE_MS },
        },
      }));
      const crowd = running.crowd(3_000, RATE);
      crowd.catch(() => undefined);
      running.startProbes();
      await eventually(async () => (await running.decided()) >= 300, 'the sale under way', 30_000);

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
      const crowdSummary = await crowd;
      const probes = await running.stopProbes();
      const outcome = await running.finish(crowdSummary);
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
});
