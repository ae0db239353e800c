import { alertContract } from '@popup-store/contracts';
import { readPayloads } from '@popup-store/streams-transport';
import { parseDecision, SaleGears } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { startTestCluster, startTestRedis, type TestCluster, type TestRedis } from '@popup-store/redis-harness';
import type { AppendFsync } from '@popup-store/redis-process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playCrowd, type CrowdSummary } from '../lib/crowd';
import { drained, finalReport } from '../lib/milestones';
import { failedInvariants, type SaleOutcome } from '../lib/sale-outcome';
import type { ServiceName } from '@popup-store/keys';
import { entryPoint, logFile } from '@popup-store/service-runner';
import { undecidedTickets } from '../lib/ticket-check';
import { DIST_DIR, openSale, postOrder, startServices, type OrderAnswer, type RunningServices } from './pipeline';

export interface FaultSalePlan {
  readonly name: string;
  readonly units: number;
  /** Persistence of the sale's Redis; none when omitted. */
  readonly appendfsync?: AppendFsync;
  readonly env?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** Processes of each stream service (1 by default). */
  readonly replicas?: number;
}

/** What the sale runs on: a Redis or a Redis Cluster of its own, to break. */
type Faulty = { readonly redis: TestRedis } | { readonly cluster: TestCluster };

/**
 * One sale with every service a process under the supervisor, on a Redis of its own to kill, pause and restart, or
 * on a Redis Cluster of its own to kill a master of.
 */
export class FaultSale {
  private readonly probes: Probe[] = [];
  private probing: Promise<void> | undefined;
  private stopProbing = new AbortController();

  private constructor(
    private readonly faulty: Faulty,
    readonly client: RedisConnection,
    readonly sale: SaleKeys,
    readonly services: RunningServices,
    private readonly dataDir: string,
  ) {}

  static async start(plan: FaultSalePlan): Promise<FaultSale> {
    const redis = await startTestRedis({ owned: true, appendfsync: plan.appendfsync });
    const client = redis.client();
    const dataDir = await mkdtemp(join(tmpdir(), `popup-chaos-${plan.name}-`));
    // A sale that cannot start leaves nothing running behind it: a Redis left up keeps jest from ever exiting.
    try {
      const sale = await openSale(client, plan.name, plan.units);
      const services = await startServices({
        redisUrl: redis.url,
        saleId: plan.name,
        dataDir,
        observer: client,
        env: plan.env,
        replicas: plan.replicas,
      });
      return new FaultSale({ redis }, client, sale, services, dataDir);
    } catch (error) {
      await redis.dispose();
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The same on a 3-master cluster of its own, each master with a replica and a 1 s cluster-node-timeout. */
  static async onCluster(plan: Omit<FaultSalePlan, 'appendfsync'>): Promise<FaultSale> {
    const cluster = await startTestCluster({ owned: true });
    const client = cluster.client();
    const dataDir = await mkdtemp(join(tmpdir(), `popup-chaos-${plan.name}-`));
    try {
      const sale = await openSale(client, plan.name, plan.units);
      const services = await startServices({
        // Only the user and password of every node (none here): the processes reach the cluster by its nodes.
        redisUrl: `redis://${cluster.nodes.split(',')[0]}`,
        redisClusterNodes: cluster.nodes,
        saleId: plan.name,
        dataDir,
        observer: client,
        env: plan.env,
        replicas: plan.replicas,
      });
      return new FaultSale({ cluster }, client, sale, services, dataDir);
    } catch (error) {
      await cluster.dispose();
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The sale's Redis, when it runs on one. */
  get redis(): TestRedis {
    if (!('redis' in this.faulty)) throw new Error('this sale runs on a cluster: use .cluster');
    return this.faulty.redis;
  }

  /** The sale's Redis Cluster, when it runs on one. */
  get cluster(): TestCluster {
    if (!('cluster' in this.faulty)) throw new Error('this sale runs on one Redis: use .redis');
    return this.faulty.cluster;
  }

  /** The crowd over HTTP, as `npm start` plays it. */
  crowd(customers: number, rate: number, seed = 1): Promise<CrowdSummary> {
    return playCrowd({
      main: entryPoint(DIST_DIR, 'crowd'),
      urls: this.services.intakeUrls,
      sale: this.sale.saleId,
      customers,
      rate,
      seed,
      summaryFile: join(this.dataDir, 'crowd-summary.json'),
      logFile: logFile(this.services.logDir, 'crowd'),
      identity: this.services.identity,
      signal: new AbortController().signal,
    });
  }

  /** The sale's Redis's data folder, where its append-only file lives. */
  async redisDir(): Promise<string> {
    const [, dir] = (await this.client.config('GET', 'dir')) as [string, string];
    return dir;
  }

  /** Decisions made so far. */
  decided(): Promise<number> {
    return this.client.hlen(this.sale.decisions);
  }

  /** One order every `everyMs` from a customer of its own, timed, until `stopProbes`: what a client sees during a fault. */
  startProbes(everyMs = 100): void {
    const signal = this.stopProbing.signal;
    this.probing = (async () => {
      for (let i = 0; !signal.aborted; i++) {
        const sentAt = Date.now();
        const answer = await postOrder(this.services, `probe-${i}`, 15_000);
        this.probes.push({ sentAt, ...answer });
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, everyMs - (Date.now() - sentAt))));
      }
    })();
  }

  async stopProbes(): Promise<Probe[]> {
    this.stopProbing.abort();
    await this.probing;
    return this.probes;
  }

  /**
   * When orders flow again after a fault at `since`: the Redis time of the decision of the first probe sent
   * after `since` that got a ticket. Waits for it.
   */
  async ordersFlowAgain(since: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ticket = this.probes.find((probe) => probe.sentAt >= since && probe.status === 202);
      const decision =
        ticket && (await this.client.hget(this.sale.decisions, ticket.body['orderId'] as string).catch(() => null));
      if (decision) return parseDecision(decision).at;
      if (Date.now() > deadline) {
        const after = probeFigures(this.probes, since, Infinity);
        throw new Error(
          `no order sent after the fault was decided within ${timeoutMs} ms (probes: ${JSON.stringify(after)})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * The end of a sale as `npm start` has it: the backlog drained, the sale closed, the auditor's report, and the
   * client's check that every ticket (the crowd's and the probes') has a decision.
   */
  async finish(crowd: CrowdSummary): Promise<SaleOutcome> {
    const signal = new AbortController().signal;
    await drained(this.client, this.sale, signal, this.services.logDir);
    await new SaleGears(this.client, this.sale).setState('closed');
    const report = await finalReport(this.client, this.sale, signal, this.services.logDir);
    // A failed audit says why in its alerts: printed, for the failure to be read.
    if (!report.ok) {
      const alerts = await readPayloads(this.client, this.sale.alerts, alertContract);
      console.info(`the auditor's alerts\n${JSON.stringify(alerts.slice(0, 20), null, 2)}`);
    }
    const probeTickets = this.probes
      .filter((probe) => probe.status === 202)
      .map((probe) => probe.body['orderId'] as string);
    const tickets = [...crowd.accepted, ...probeTickets];
    const undecided = await undecidedTickets(this.client, this.sale, tickets);
    return {
      report,
      lostTickets: undecided.length,
      crowd,
      tickets,
      restarts: this.services.supervisor.restarts(),
      elapsedMs: 0,
    };
  }

  async dispose(): Promise<void> {
    this.stopProbing.abort();
    await this.probing;
    await this.services.stop();
    await ('redis' in this.faulty ? this.faulty.redis : this.faulty.cluster).dispose();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export interface Probe extends OrderAnswer {
  /** Local time the order was sent. */
  readonly sentAt: number;
}

/** What the probes sent between `from` and `to` saw: answers by status, the slowest, and Retry-After on every 503. */
export function probeFigures(probes: readonly Probe[], from: number, to: number) {
  const during = probes.filter((probe) => probe.sentAt >= from && probe.sentAt <= to);
  const statuses: Record<string, number> = {};
  for (const probe of during) statuses[probe.status] = (statuses[probe.status] ?? 0) + 1;
  return {
    sent: during.length,
    statuses,
    maxLatencyMs: Math.round(Math.max(0, ...during.map((probe) => probe.ms))),
    unavailableWithoutRetryAfter: during.filter((probe) => probe.status === 503 && !probe.retryAfter).length,
  };
}

/** The figures of a sale's outcome that docs/reliability.md reports. */
export function outcomeFigures(outcome: SaleOutcome) {
  const { report } = outcome;
  return {
    failedInvariants: failedInvariants(outcome),
    sold: report.sold,
    accepted: report.accepted,
    decided: report.decided,
    lost: report.lost,
    lostTickets: outcome.lostTickets,
    decisionLatencyMs: { p99: report.latencyMs.decision.p99, max: report.latencyMs.decision.max },
    oversold: report.oversold,
    duplicates: report.duplicates,
    restarts: outcome.restarts,
    crowd: {
      statuses: outcome.crowd.statuses,
      networkErrors: outcome.crowd.networkErrors,
      maxLatencyMs: outcome.crowd.latencyMs.max,
    },
  };
}
