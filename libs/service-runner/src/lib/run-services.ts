import { consumerGroups, saleKeys } from '@popup-store/keys';
import { freePort } from '@popup-store/redis-process';
import type { Cluster, Redis } from 'ioredis';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStreamService, PROCESSES, processEntry, type ProcessEntry } from './processes';
import { IDENTITY_PROVIDER, RunIdentityKeys, type RunIdentity } from './run-identity';
import { Supervisor, type Exit, type SupervisorEvents } from './supervisor';

/** What one run of the store's processes needs. */
export interface RunPlan {
  /** The workspace's `dist` folder, with the apps built. */
  readonly distDir: string;
  /** Each process's output goes to `<logDir>/<name>.log`, emptied first. */
  readonly logDir: string;
  /** `REDIS_URL` of every process; on a cluster, the user and password of every node. */
  readonly redisUrl: string;
  /** `REDIS_CLUSTER_NODES` of every process: each then talks to that Redis Cluster. */
  readonly redisClusterNodes?: string;
  readonly saleId: string;
  /**
   * Processes of each stream service, 1 by default: workers share their streams through their consumer groups
   * (each its own `CONSUMER_NAME`), each customer-intake listens on a port of its own ({@link RunningServices.urls}).
   */
  readonly replicas?: number;
  /** The processes to run, by name; every one of {@link PROCESSES} when absent. */
  readonly only?: readonly string[];
  /** The environment every process starts from; this process's when absent. */
  readonly baseEnv?: NodeJS.ProcessEnv;
  /** Additions for every process (log level, tracing off). */
  readonly env?: NodeJS.ProcessEnv;
  /** Additions per process (its own ACL user, shorter timeouts); they win over everything else. */
  readonly envOf?: Readonly<Record<string, NodeJS.ProcessEnv | undefined>>;
  /** Node flags for every process (a CPU profile, say). */
  readonly nodeFlags?: readonly string[];
  readonly events?: SupervisorEvents;
}

const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

/** One process of a run: an app's entry, and its name in the run (`order-generation-2` when an app runs several). */
interface RunProcess {
  readonly name: string;
  readonly entry: ProcessEntry;
}

/** The processes of `entries`, `replicas` of each stream service, the others once, in start order. */
function runProcesses(entries: readonly ProcessEntry[], replicas: number): RunProcess[] {
  return entries.flatMap((entry) => {
    const count = isStreamService(entry.name) ? replicas : 1;
    if (count === 1) return [{ name: entry.name, entry }];
    return Array.from({ length: count }, (_, i) => ({ name: `${entry.name}-${i + 1}`, entry }));
  });
}

/** The built entry point of an app. */
export function entryPoint(distDir: string, app: string): string {
  return join(distDir, 'apps', app, 'main.js');
}

export function logFile(logDir: string, app: string): string {
  return join(logDir, `${app}.log`);
}

/** Fails naming every app that has not been built, and how to build it. */
export async function assertBuilt(distDir: string, apps: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const app of apps) {
    const main = entryPoint(distDir, app);
    if (
      !(await access(main).then(
        () => true,
        () => false,
      ))
    )
      missing.push(main);
  }
  if (missing.length) {
    throw new Error(
      `not built: ${missing.join(', ')}\n  build them with: npx nx run-many -t build (npm start does it for you)`,
    );
  }
}

/**
 * The store's processes, each its own Node process under the {@link Supervisor} (a process that dies is
 * restarted with backoff), as `npm start`, the bench and the e2e specs run them.
 */
export class RunningServices {
  private stopped: Promise<Record<string, Exit>> | undefined;

  private constructor(
    readonly supervisor: Supervisor,
    /** One line per restart the supervisor made, as the launcher prints it. */
    readonly restartLog: readonly string[],
    private readonly plan: RunPlan,
    private readonly processes: readonly RunProcess[],
    private readonly urlsOf: ReadonlyMap<string, Readonly<Record<string, string>>>,
    /** Who signs this run's customers in: the crowd, the bench's load and the specs sign with it. */
    readonly identity: RunIdentity,
  ) {}

  /** Starts every process of the plan; resolves once they are spawned (see {@link ready} for serving). */
  static async start(plan: RunPlan): Promise<RunningServices> {
    const entries = (plan.only ?? PROCESSES.map((entry) => entry.name)).map(processEntry);
    await assertBuilt(
      plan.distDir,
      entries.map((entry) => entry.name),
    );
    const replicas = plan.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1)
      throw new RangeError(`replicas must be 1 or more, not ${replicas}`);
    const processes = runProcesses(entries, replicas);
    await mkdir(plan.logDir, { recursive: true });
    const ports = new Map<string, Record<string, number>>();
    const urls = new Map<string, Record<string, string>>();
    for (const { name, entry } of processes) {
      const own: Record<string, number> = {};
      const byRole: Record<string, string> = {};
      for (const [variable, role] of Object.entries(entry.listens ?? {})) {
        own[variable] = await freePort();
        byRole[role] = `http://127.0.0.1:${own[variable]}`;
      }
      ports.set(name, own);
      urls.set(name, byRole);
    }
    // What a process tells the others comes from its first (for an identity provider: its only) process.
    const told = Object.assign(
      {},
      ...entries.map((entry) => entry.tells?.(firstOf(processes, urls, entry.name)) ?? {}),
    );
    const keys = await RunIdentityKeys.create();
    const issuer = urls.get(IDENTITY_PROVIDER)?.['http'];
    const identityEnv = keys.envOf(issuer);
    const restartLog: string[] = [];
    const supervisor = new Supervisor({
      restarted: (name, exit, attempt, delayMs) => {
        restartLog.push(`${name} exited (${exit}); restart ${attempt} in ${delayMs} ms`);
        plan.events?.restarted?.(name, exit, attempt, delayMs);
      },
    });
    for (const { name, entry } of processes) {
      const spec = {
        name,
        main: entryPoint(plan.distDir, entry.name),
        nodeFlags: plan.nodeFlags,
        logFile: logFile(plan.logDir, name),
        env: {
          ...(plan.baseEnv ?? process.env),
          REDIS_URL: plan.redisUrl,
          ...(plan.redisClusterNodes ? { REDIS_CLUSTER_NODES: plan.redisClusterNodes } : {}),
          SALE_ID: plan.saleId,
          // Its own name in its consumer groups, the same after a restart: it takes back at once what it held.
          ...(isStreamService(entry.name) ? { CONSUMER_NAME: name } : {}),
          ...told,
          ...entry.env,
          ...identityEnv[entry.name],
          ...Object.fromEntries(Object.entries(ports.get(name) ?? {}).map(([k, v]) => [k, String(v)])),
          ...plan.env,
          ...plan.envOf?.[entry.name],
        },
      };
      await writeFile(spec.logFile, '');
      supervisor.start(spec);
    }
    return new RunningServices(supervisor, restartLog, plan, processes, urls, keys.identity(issuer));
  }

  /** The name of every process of the run: an app's name, or `<app>-<i>` for each of an app run several times. */
  get names(): string[] {
    return this.processes.map((process) => process.name);
  }

  /** The names of the processes of one app. */
  namesOf(app: string): string[] {
    return this.processes.filter((process) => process.entry.name === app).map((process) => process.name);
  }

  get logDir(): string {
    return this.plan.logDir;
  }

  /** The base URL of a port of a process (`http`, `metrics`); given an app's name, of its first process. */
  url(name: string, role = 'http'): string {
    const url = (this.urlsOf.get(name) ?? firstOf(this.processes, this.urlsOf, name))[role];
    if (!url) throw new Error(`${name} has no ${role} port in this run`);
    return url;
  }

  /** The base URLs of a port of every process of an app. */
  urls(app: string, role = 'http'): string[] {
    return this.namesOf(app).map((name) => this.url(name, role));
  }

  /** The first customer-intake; {@link intakeUrls} for all of them. */
  get intakeUrl(): string {
    return this.url('customer-intake');
  }

  /** Every customer-intake's base URL: a client spreads its customers over them (the crowd round-robins). */
  get intakeUrls(): string[] {
    return this.urls('customer-intake');
  }

  get metricsUrl(): string {
    return this.url('metrics-export', 'metrics');
  }

  logFile(name: string): string {
    return logFile(this.plan.logDir, name);
  }

  /** The pid of a process's current run; throws when it is not running. */
  pid(name: string): number {
    const pid = this.supervisor.pid(name);
    if (pid === undefined || !this.supervisor.isRunning(name))
      throw new Error(`${name} is not running (see ${this.logFile(name)})`);
    return pid;
  }

  /** Restart count per process since start. */
  restarts(): Record<string, number> {
    return this.supervisor.restarts();
  }

  /** Fails, naming the process and its log, if any process has exited since start (restarted or not). */
  assertRunning(): void {
    for (const [name, count] of Object.entries(this.restarts())) {
      if (count > 0 || !this.supervisor.isRunning(name))
        throw new Error(`${name} exited${count ? ` (restarted ${count}×)` : ''}; see ${this.logFile(name)}`);
    }
  }

  /**
   * Every process serves: each ready path answers 200, and every consumer group of the topology that a process of
   * this run reads exists (an order accepted before a consumer listens would be read anyway, since groups start at
   * 0, but a service that cannot start shows now, not at the end). Fails after a minute, when a process exits
   * before then, or when `signal` aborts.
   */
  async ready(redis: Redis | Cluster, signal?: AbortSignal): Promise<void> {
    const apps = new Set(this.processes.map((process) => process.entry.name));
    const groups = consumerGroups(saleKeys(this.plan.saleId)).filter(({ service }) => apps.has(service));
    const probes = this.processes.filter((process) => process.entry.readyPath);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let waiting: string[] = [];
    for (;;) {
      signal?.throwIfAborted();
      this.assertRunning();
      const serving = await Promise.all(
        probes.map(async ({ name, entry }) =>
          (await fetch(`${this.url(name)}${entry.readyPath}`, { signal }).catch(() => undefined))?.ok
            ? undefined
            : `${name} at ${this.url(name)}${entry.readyPath}`,
        ),
      );
      const found = await Promise.all(groups.map(({ stream }) => groupsOf(redis, stream)));
      const absent = groups
        .filter(({ group }, i) => !found[i]?.includes(group))
        .map(({ stream, group, service }) => `consumer group ${group} on ${stream} (${service})`);
      waiting = [...serving.filter((what): what is string => what !== undefined), ...absent];
      if (waiting.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${waiting.join(', ')} (see ${this.logDir})`);
      await sleep(POLL_MS, undefined, { signal });
    }
  }

  /** SIGTERM every process (each drains what it holds), SIGKILL after a grace period; how each ended. Once. */
  stop(): Promise<Record<string, Exit>> {
    this.stopped ??= this.supervisor.stopAll();
    return this.stopped;
  }
}

/** The URLs of the first process of `app`. */
function firstOf(
  processes: readonly RunProcess[],
  urls: ReadonlyMap<string, Readonly<Record<string, string>>>,
  app: string,
): Readonly<Record<string, string>> {
  const first = processes.find((process) => process.entry.name === app);
  return (first && urls.get(first.name)) ?? {};
}

async function groupsOf(redis: Redis | Cluster, stream: string): Promise<string[]> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  return groups.map((fields) => String(fields[fields.indexOf('name') + 1]));
}
