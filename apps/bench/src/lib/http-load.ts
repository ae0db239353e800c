import { CustomerTokenSigner, importSigningKey } from '@popup-store/customer-identity';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { percentiles } from './stats';

/** What one load run saw. */
export interface HttpLoadSummary {
  readonly answered: number;
  readonly networkErrors: number;
  readonly statuses: Record<string, number>;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  readonly durationMs: number;
  readonly answersPerSecond: number;
  /** The ticket (order id) of every 202. */
  readonly accepted: string[];
  /** CPU seconds spent signing the customers in before the first request, to leave out of the load's cost. */
  readonly signInCpuSeconds: number;
}

/** Signs the load's customers in: the key and claims the bench gives customer-intake (environment of the process). */
export interface LoadIdentity {
  readonly signingKey: string;
  readonly issuer: string;
  readonly audience: string;
}

/** Connections to customer-intake, as the crowd app opens by default. */
const CONNECTIONS = 64;

/**
 * `POST /api/orders` for `customers` distinct customers, one every 1/`rate` s, whether or not earlier ones were
 * answered (an open model), each latency counted from the moment its request was due, so a slow server cannot hide
 * its queue. Written for the bench rather than using the crowd app: the crowd's final wait races every request
 * still in flight on each answer, which costs it more CPU than customer-intake spends once thousands are in
 * flight (see docs/benchmarks.md), and the load generator must not be what is measured. No retries: a 429 or 503
 * is counted as refused. Each customer signs in first, so every order goes through customer-intake's token check.
 */
export async function httpLoad(
  url: string,
  customers: number,
  rate: number,
  seed: number,
  identity: LoadIdentity,
): Promise<HttpLoadSummary> {
  // Every customer signs in before the first request (a shopper is signed in before the sale opens).
  const signInStarted = process.cpuUsage();
  const signer = new CustomerTokenSigner({
    ...identity,
    key: await importSigningKey(identity.signingKey),
    ttlSeconds: 3600,
  });
  const bearers: string[] = [];
  for (let customer = 0; customer < customers; customer++) {
    bearers.push(`Bearer ${(await signer.sign(`c${seed}-${customer}`)).accessToken}`);
  }
  const signInCpu = process.cpuUsage(signInStarted);
  const pool = new Pool(url, { connections: CONNECTIONS });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const accepted: string[] = [];
  let networkErrors = 0;
  let inFlight = 0;
  let allAnswered = () => undefined as void;
  const answeredAll = new Promise<void>((resolve) => (allAnswered = resolve));
  const started = performance.now();
  let sent = 0;

  const send = async (customer: number, dueAt: number) => {
    inFlight++;
    try {
      const response = await pool.request({
        method: 'POST',
        path: '/api/orders',
        // Each customer from an address of its own, forwarded by the proxy customer-intake trusts.
        headers: {
          authorization: bearers[customer] as string,
          'x-forwarded-for': `10.${(customer >> 16) & 255}.${(customer >> 8) & 255}.${customer & 255}`,
        },
      });
      const body = (await response.body.json().catch(() => ({}))) as { orderId?: string };
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
      if (response.statusCode === 202 && body.orderId) accepted.push(body.orderId);
      latencies.push(performance.now() - dueAt);
    } catch {
      networkErrors++;
    } finally {
      if (--inFlight === 0 && sent === customers) allAnswered();
    }
  };

  while (sent < customers) {
    const due = Math.min(customers, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) void send(sent, started + (sent * 1000) / rate);
    if (sent < customers) await sleep(1);
  }
  if (inFlight > 0) await answeredAll;
  const durationMs = performance.now() - started;
  await pool.close();
  const { p50, p99 } = percentiles(latencies);
  return {
    answered: latencies.length,
    networkErrors,
    statuses,
    latencyMs: { p50, p99 },
    durationMs,
    answersPerSecond: latencies.length / (durationMs / 1000),
    accepted,
    signInCpuSeconds: (signInCpu.user + signInCpu.system) / 1e6,
  };
}
