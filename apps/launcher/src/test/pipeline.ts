import { loadGears, redisNow, SaleGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys, type ServiceName } from '@popup-store/keys';
import { RunningServices } from '@popup-store/service-runner';
import type { RedisConnection } from '@popup-store/redis-connection';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

export type { RunningServices };

/** The workspace's dist folder: the launcher's test target builds every app first. */
export const DIST_DIR = resolve(__dirname, '../../../../dist');

export interface ServicesPlan {
  /** The Redis every service connects to, unless `env` gives one its own `REDIS_URL`. */
  readonly redisUrl: string;
  /** A Redis Cluster every service connects to instead (`REDIS_CLUSTER_NODES`). */
  readonly redisClusterNodes?: string;
  /** Processes of each stream service (1 by default). */
  readonly replicas?: number;
  readonly saleId: string;
  /** Logs go to `<dataDir>/logs/<service>.log`. */
  readonly dataDir: string;
  /** Per service additions to the environment (its own ACL user, shorter timeouts). */
  readonly env?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** A client allowed to look at the consumer groups, to know when every service reads its streams. */
  readonly observer: RedisConnection;
}

/** Every process of the store under the launcher's supervisor, as `npm start` runs them; resolves once they serve. */
export async function startServices(plan: ServicesPlan): Promise<RunningServices> {
  const services = await RunningServices.start({
    distDir: DIST_DIR,
    logDir: join(plan.dataDir, 'logs'),
    redisUrl: plan.redisUrl,
    redisClusterNodes: plan.redisClusterNodes,
    replicas: plan.replicas,
    saleId: plan.saleId,
    envOf: plan.env,
  });
  try {
    await services.ready(plan.observer);
  } catch (error) {
    await services.stop();
    throw error;
  }
  return services;
}

/** Loads the gears, then configures and opens a sale of `units` from now (Redis's clock) for `durationMs`. */
export async function openSale(
  redis: RedisConnection,
  saleId: string,
  units: number,
  durationMs = 600_000,
): Promise<SaleKeys> {
  const sale = saleKeys(saleId);
  await loadGears(redis);
  const now = await redisNow(redis);
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
  intakeUrl = services.intakeUrl,
): Promise<OrderAnswer> {
  const started = performance.now();
  try {
    const response = await fetch(`${intakeUrl}/api/orders`, {
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
