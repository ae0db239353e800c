import { loadGears, SaleGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { freePort } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { consumersListening, identityReady, intakeReady } from '../lib/milestones';
import { saleIdentity, type SaleIdentity } from '../lib/sale-identity';
import { identityProviderSpec, serviceSpecs, type ServiceName } from '../lib/services';
import { Supervisor } from '../lib/supervisor';

/** The workspace's dist folder: the launcher's test target builds every app first. */
export const DIST_DIR = resolve(__dirname, '../../../../dist');

export interface ServicesPlan {
  /** The Redis every service connects to, unless `env` gives one its own `REDIS_URL`. */
  readonly redisUrl: string;
  readonly saleId: string;
  /** Logs go to `<dataDir>/logs/<service>.log`. */
  readonly dataDir: string;
  /** Per service additions to the environment (its own ACL user, shorter timeouts). */
  readonly env?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** A client allowed to look at the consumer groups, to know when every service reads its streams. */
  readonly observer: Redis;
}

export interface RunningServices {
  readonly intakeUrl: string;
  readonly logDir: string;
  readonly supervisor: Supervisor;
  /** identity-dev's issuer and key: the crowd and the probes sign in with it. */
  readonly identity: SaleIdentity;
  /** One line per restart the supervisor made, as the launcher prints it. */
  readonly restarts: string[];
  stop(): Promise<void>;
}

/** The four services as processes under the launcher's supervisor, as `npm start` runs them; resolves once they serve. */
export async function startServices(plan: ServicesPlan): Promise<RunningServices> {
  const logDir = join(plan.dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const restarts: string[] = [];
  const supervisor = new Supervisor({
    restarted: (name, exit, attempt, delayMs) =>
      restarts.push(`${name} exited (${exit}); restart ${attempt} in ${delayMs} ms`),
  });
  const intakePort = await freePort();
  const identity = await saleIdentity(await freePort());
  // identity-dev under a supervisor of its own, as npm start runs it: the restarts counted are the services'.
  const identityProvider = new Supervisor();
  const identitySpec = identityProviderSpec(DIST_DIR, logDir, identity);
  await writeFile(identitySpec.logFile, '');
  identityProvider.start(identitySpec);
  const specs = serviceSpecs({
    distDir: DIST_DIR,
    logDir,
    redisUrl: plan.redisUrl,
    saleId: plan.saleId,
    intakePort,
    metricsPort: await freePort(),
    identity,
  });
  for (const spec of specs) {
    await writeFile(spec.logFile, '');
    supervisor.start({ ...spec, env: { ...spec.env, ...plan.env?.[spec.name as ServiceName] } });
  }
  const intakeUrl = `http://127.0.0.1:${intakePort}`;
  const signal = new AbortController().signal;
  const stop = async () => {
    await supervisor.stopAll();
    await identityProvider.stopAll();
  };
  try {
    await identityReady(identity.issuer, signal, logDir);
    await intakeReady(intakeUrl, signal, logDir);
    await consumersListening(plan.observer, saleKeys(plan.saleId), signal, logDir);
  } catch (error) {
    await stop();
    throw error;
  }
  return { intakeUrl, logDir, supervisor, identity, restarts, stop };
}

/** Loads the gears, then configures and opens a sale of `units` from now (Redis's clock) for `durationMs`. */
export async function openSale(redis: Redis, saleId: string, units: number, durationMs = 600_000): Promise<SaleKeys> {
  const sale = saleKeys(saleId);
  await loadGears(redis);
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  await new SaleGears(redis, sale).configure({ stock: units, startsAt: now, endsAt: now + durationMs, force: true });
  return sale;
}

export interface OrderAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: string | null;
  readonly ms: number;
}

/** One customer's `POST /api/orders` (signed in as `name`, with an empty body), timed; a network error answers status 0. */
export async function postOrder(
  services: Pick<RunningServices, 'intakeUrl' | 'identity'>,
  name: string,
  timeoutMs = 10_000,
): Promise<OrderAnswer> {
  const started = performance.now();
  try {
    const response = await fetch(`${services.intakeUrl}/api/orders`, {
      method: 'POST',
      headers: { authorization: await services.identity.bearer(name), 'x-forwarded-for': addressOf(name) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return {
      status: response.status,
      body,
      retryAfter: response.headers.get('retry-after'),
      ms: performance.now() - started,
    };
  } catch {
    return { status: 0, body: {}, retryAfter: null, ms: performance.now() - started };
  }
}

/**
 * The client address of the customer `name`, as the edge proxy customer-intake trusts (127.0.0.1) forwards it: one
 * of 65,536, so a test's customers are not all one address past MAX_CUSTOMERS_PER_ADDRESS.
 */
function addressOf(name: string): string {
  const [high = 0, low = 0] = createHash('sha256').update(name).digest();
  return `10.255.${high}.${low}`;
}
