import { SaleGears, type OrderToDecide } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import type { RedisConnection } from '@popup-store/redis-connection';
import { redisCpuSeconds } from './cpu';
import type { Figures } from './figures';
import { openSale, readOrders, writeCustomers, writeOrders } from './orders';
import { assertSale, checkSale } from './sale-check';

export interface EnginePlan {
  readonly orders: number;
  readonly batch: number;
}

/**
 * Scenario 1, the completion engine alone: `orders` orders are written and read beforehand, then decided `batch`
 * at a time by popup_decide_orders, one FCALL after another on each of `callers` (with two, Redis decides one
 * batch while the client sends the next). The stock is the order count, so every order takes the full completion
 * path. Figures: decisions/s and Redis CPU µs per decision (`INFO cpu` delta).
 */
export async function engineRun(
  redis: Redis,
  callers: readonly Redis[],
  sale: SaleKeys,
  plan: EnginePlan,
): Promise<Figures> {
  await redis.flushall();
  await openSale(redis, sale, plan.orders);
  await writeOrders(redis, sale, await writeCustomers(redis, sale, plan.orders));
  const orders = await readOrders(redis, sale, plan.orders);
  const cpuBefore = await redisCpuSeconds(redis);
  const started = performance.now();
  await decideAll(callers, sale, orders, plan.batch);
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await redisCpuSeconds(redis)) - cpuBefore;
  assertSale(`scenario 1, batch ${plan.batch}`, await checkSale(redis, sale, plan.orders));
  return { decisionsPerSecond: plan.orders / seconds, redisCpuMicrosPerDecision: (cpu * 1e6) / plan.orders };
}

/** Decides `orders` in batches of `batch`, each caller taking the next batch as soon as its last call answered. */
export async function decideAll(
  callers: readonly RedisConnection[],
  sale: SaleKeys,
  orders: readonly OrderToDecide[],
  batch: number,
): Promise<void> {
  let next = 0;
  await Promise.all(
    callers.map(async (caller) => {
      const gears = new SaleGears(caller, sale);
      while (next < orders.length) {
        const from = next;
        next += batch;
        await gears.decide(orders.slice(from, from + batch));
      }
    }),
  );
}
