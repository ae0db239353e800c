import { consumerGroups, saleKeys } from '@popup-store/keys';
import { freePort } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROCESSES, processEntry, type ProcessEntry } from './processes';
import { IDENTITY_PROVIDER, RunIdentityKeys, type RunIdentity } from './run-identity';
import { Supervisor, type Exit, type SupervisorEvents } from './supervisor';

/** What one run of the store's processes needs. */
export interface RunPlan {
  /** The workspace's `dist` folder, with the apps built. */
  readonly distDir: string;
  /** Each process's output goes to `<logDir>/<name>.log`, emptied first. */
  readonly logDir: string;
  readonly redisUrl: string;
  readonly saleId: string;
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
    private readonly entries: readonly ProcessEntry[],
    private readonly urls: ReadonlyMap<string, Readonly<Record<string, string>>>,
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
    await mkdir(plan.logDir, { recursive: true });
    const ports = new Map<string, Record<string, number>>();
    const urls = new Map<string, Record<string, string>>();
    for (const entry of entries) {
      const own: Record<string, number> = {};
      const byRole: Record<string, string> = {};
      for (const [variable, role] of Object.entries(entry.listens ?? {})) {
        own[variable] = await freePort();
        byRole[role] = `http://127.0.0.1:${own[variable]}`;
      }
      ports.set(entry.name, own);
      urls.set(entry.name, byRole);
    }
    const told = Object.assign({}, ...entries.map((entry) => entry.tells?.(urls.get(entry.name) ?? {}) ?? {}));
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
    for (const entry of entries) {
      const spec = {
        name: entry.name,
        main: entryPoint(plan.distDir, entry.name),
        nodeFlags: plan.nodeFlags,
        logFile: logFile(plan.logDir, entry.name),
        env: {
          ...(plan.baseEnv ?? process.env),
          REDIS_URL: plan.redisUrl,
          SALE_ID: plan.saleId,
          ...told,
          ...entry.env,
          ...identityEnv[entry.name],
          ...Object.fromEntries(Object.entries(ports.get(entry.name) ?? {}).map(([k, v]) => [k, String(v)])),
          ...plan.env,
          ...plan.envOf?.[entry.name],
        },
      };
      await writeFile(spec.logFile, '');
      supervisor.start(spec);
    }
    return new RunningServices(supervisor, restartLog, plan, entries, urls, keys.identity(issuer));
  }

  get names(): string[] {
    return this.entries.map((entry) => entry.name);
  }

  get logDir(): string {
    return this.plan.logDir;
  }

  /** The base URL of a port of a process (`http`, `metrics`). */
  url(name: string, role = 'http'): string {
    const url = this.urls.get(name)?.[role];
    if (!url) throw new Error(`${name} has no ${role} port in this run`);
    return url;
  }

  get intakeUrl(): string {
    return this.url('customer-intake');
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
  async ready(redis: Redis, signal?: AbortSignal): Promise<void> {
    const groups = consumerGroups(saleKeys(this.plan.saleId)).filter(({ service }) => this.names.includes(service));
    const probes = this.entries.filter((entry) => entry.readyPath);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let waiting: string[] = [];
    for (;;) {
      signal?.throwIfAborted();
      this.assertRunning();
      const serving = await Promise.all(
        probes.map(async (entry) =>
          (await fetch(`${this.url(entry.name)}${entry.readyPath}`, { signal }).catch(() => undefined))?.ok
            ? undefined
            : `${entry.name} at ${this.url(entry.name)}${entry.readyPath}`,
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

async function groupsOf(redis: Redis, stream: string): Promise<string[]> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  return groups.map((fields) => String(fields[fields.indexOf('name') + 1]));
}
