import { saleReportContract, type SaleReport } from '@popup-store/contracts';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 200;
const BOOT_TIMEOUT_MS = 60_000;
/** The backlog may be long after a big crowd: waiting fails only when it stops shrinking for this long. */
const DRAIN_STALL_MS = 30_000;
const REPORT_TIMEOUT_MS = 60_000;

/** Polls `probe` until it gives a value; fails after `timeoutMs` with what it waited for, or when `signal` aborts. */
async function poll<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  signal: AbortSignal,
  failure: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${failure()} after ${timeoutMs / 1000} s`);
    await sleep(POLL_MS, undefined, { signal });
  }
}

/** customer-intake takes orders: its readiness probe answers 200 (Redis answers it). */
export async function intakeReady(url: string, signal: AbortSignal, logs: string): Promise<void> {
  await poll(
    async () => ((await fetch(`${url}/health/ready`, { signal }).catch(() => undefined))?.ok ? true : undefined),
    BOOT_TIMEOUT_MS,
    signal,
    () => `customer-intake not ready at ${url} (see ${logs})`,
  );
}

/** identity-dev answers ready: customers can sign in, and customer-intake can fetch its keys. */
export async function identityReady(issuer: string, signal: AbortSignal, logs: string): Promise<void> {
  await poll(
    async () => ((await fetch(`${issuer}/health/ready`, { signal }).catch(() => undefined))?.ok ? true : undefined),
    BOOT_TIMEOUT_MS,
    signal,
    () => `identity-dev not ready at ${issuer} (see ${logs})`,
  );
}

/**
 * Every service reads its streams: each consumer group exists. An order accepted before order-generation
 * listens would be read anyway (groups start at 0), but a service that cannot start shows now, not at the end.
 */
export async function consumersListening(
  redis: Redis,
  sale: SaleKeys,
  signal: AbortSignal,
  logs: string,
): Promise<void> {
  const expected: [stream: string, group: string][] = [
    [sale.customers, ConsumerGroup.orderGeneration],
    [sale.orders, ConsumerGroup.fulfilment],
    [sale.completed, ConsumerGroup.auditing],
    [sale.completed, ConsumerGroup.metrics],
  ];
  let missing = expected;
  await poll(
    async () => {
      const found = await Promise.all(expected.map(([stream]) => groupsOf(redis, stream)));
      missing = expected.filter(([, group], i) => !found[i].includes(group));
      return missing.length ? undefined : true;
    },
    BOOT_TIMEOUT_MS,
    signal,
    () => `no consumer group ${missing.map(([stream, group]) => `${group} on ${stream}`).join(', ')} (see ${logs})`,
  );
}

async function groupsOf(redis: Redis, stream: string): Promise<string[]> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  return groups.map((fields) => String(fields[fields.indexOf('name') + 1]));
}

/** Every accepted order is decided: the gears delete an order's customers and orders entries with its decision. */
export async function drained(redis: Redis, sale: SaleKeys, signal: AbortSignal, logs: string): Promise<void> {
  let smallest = Infinity;
  let shrankAt = Date.now();
  for (;;) {
    signal.throwIfAborted();
    const [customers, orders] = await Promise.all([redis.xlen(sale.customers), redis.xlen(sale.orders)]);
    if (customers + orders === 0) return;
    if (customers + orders < smallest) {
      smallest = customers + orders;
      shrankAt = Date.now();
    } else if (Date.now() - shrankAt > DRAIN_STALL_MS) {
      throw new Error(
        `the backlog stopped draining: ${customers} customers and ${orders} orders queued, ` +
          `unchanged for ${DRAIN_STALL_MS / 1000} s (see ${logs})`,
      );
    }
    await sleep(POLL_MS, undefined, { signal });
  }
}

/** The report fulfilment-auditing writes once the sale is closed and drained. */
export async function finalReport(
  redis: Redis,
  sale: SaleKeys,
  signal: AbortSignal,
  logs: string,
): Promise<SaleReport> {
  const text = await poll(
    async () => (await redis.get(sale.report)) ?? undefined,
    REPORT_TIMEOUT_MS,
    signal,
    () =>
      `no sale report at ${sale.report}: fulfilment-auditing writes it once the sale is closed and drained (see ${logs})`,
  );
  return saleReportContract.schema.parse(JSON.parse(text));
}
