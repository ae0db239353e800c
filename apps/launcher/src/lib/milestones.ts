import { saleReportContract, type SaleReport } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 200;
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

/** Every accepted order is decided: the gears delete an order's customers and orders entries with its decision. */
export async function drained(
  redis: RedisConnection,
  sale: SaleKeys,
  signal: AbortSignal,
  logs: string,
): Promise<void> {
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
  redis: RedisConnection,
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
