import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import { freePort } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuSeconds } from './cpu';
import type { BenchIdentity } from './identity';

/** The store's services, each run as its own process, as deployed. */
export const SERVICES = ['customer-intake', 'order-generation', 'fulfilment-auditing', 'metrics-export'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServicePlan {
  /** The workspace's `dist` folder, with the services built. */
  readonly distDir: string;
  readonly redisUrl: string;
  readonly saleId: string;
  /** Where each service's output goes, `<name>.log`. */
  readonly logDir: string;
  /** Extra Node flags for every service (a CPU profile, say). */
  readonly nodeFlags?: readonly string[];
  /** Whose tokens customer-intake accepts. */
  readonly identity: BenchIdentity;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** The four services of one sale, started for one run and stopped after it. */
export class ServiceSet {
  private constructor(
    private readonly children: ReadonlyMap<ServiceName, ChildProcess>,
    readonly intakeUrl: string,
    readonly logDir: string,
  ) {}

  static async start(plan: ServicePlan): Promise<ServiceSet> {
    const intakePort = await freePort();
    const metricsPort = await freePort();
    const own: Record<ServiceName, NodeJS.ProcessEnv> = {
      'customer-intake': {
        PORT: String(intakePort),
        HOST: '127.0.0.1',
        CUSTOMER_TOKEN_PUBLIC_KEY: plan.identity.publicKey,
        CUSTOMER_TOKEN_ISSUER: plan.identity.issuer,
        CUSTOMER_TOKEN_AUDIENCE: plan.identity.audience,
        // The load forwards an address per customer, as an edge proxy would.
        TRUSTED_PROXIES: '127.0.0.1',
      },
      'order-generation': {},
      'fulfilment-auditing': {},
      'metrics-export': { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' },
    };
    const children = new Map<ServiceName, ChildProcess>();
    for (const name of SERVICES) {
      const env = {
        ...process.env,
        REDIS_URL: plan.redisUrl,
        SALE_ID: plan.saleId,
        // Request and batch logs off and no tracing: the bench measures the sale's work, not log or span export.
        LOG_LEVEL: 'warn',
        OTEL_SDK_DISABLED: 'true',
        ...own[name],
      };
      const child = spawn(process.execPath, [...(plan.nodeFlags ?? []), join(plan.distDir, 'apps', name, 'main.js')], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const log = createWriteStream(join(plan.logDir, `${name}.log`), { flags: 'a' });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      children.set(name, child);
    }
    return new ServiceSet(children, `http://127.0.0.1:${intakePort}`, plan.logDir);
  }

  /** Each service's pid. */
  pid(name: ServiceName): number {
    const pid = this.children.get(name)?.pid;
    if (pid === undefined) throw new Error(`${name} did not start (see ${this.logDir})`);
    return pid;
  }

  /** CPU seconds each service has used so far. */
  cpuSeconds(): Record<ServiceName, number> {
    return Object.fromEntries(SERVICES.map((name) => [name, processCpuSeconds(this.pid(name))])) as Record<
      ServiceName,
      number
    >;
  }

  /** Every service is up: each consumer group exists and customer-intake answers ready; fails if one exits. */
  async ready(redis: Redis, sale: SaleKeys): Promise<void> {
    const groups: [stream: string, group: string][] = [
      [sale.customers, ConsumerGroup.orderGeneration],
      [sale.orders, ConsumerGroup.fulfilment],
      [sale.completed, ConsumerGroup.auditing],
      [sale.completed, ConsumerGroup.metrics],
    ];
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      this.assertRunning();
      const present = await Promise.all(groups.map(([stream, group]) => hasGroup(redis, stream, group)));
      const intake = await fetch(`${this.intakeUrl}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (intake && present.every(Boolean)) return;
      if (Date.now() > deadline)
        throw new Error(`the services were not ready after ${READY_TIMEOUT_MS / 1000} s (see ${this.logDir})`);
      await sleep(100);
    }
  }

  /** Fails, naming the service and its log, if any service has exited. */
  assertRunning(): void {
    for (const [name, child] of this.children) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${name} exited (${child.signalCode ?? `code ${child.exitCode}`}); see ${join(this.logDir, `${name}.log`)}`,
        );
      }
    }
  }

  /** SIGTERM (each service drains what it holds), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

async function hasGroup(redis: Redis, stream: string, group: string): Promise<boolean> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  return groups.some((fields) => fields[fields.indexOf('name') + 1] === group);
}
