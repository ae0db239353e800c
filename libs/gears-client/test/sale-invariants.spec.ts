import { eventually } from '@popup-store/redis-harness';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { loadGears } from '../src/lib/load-gears';
import { SaleGears } from '../src/lib/sale-gears';
import { addOrders, drain, expectSaleInvariants, freshSale, redisNow, snapshot, type TestOrder } from './sale-fixture';

const BEFORE_START_MS = 40;
const WINDOW_MS = 120;

describe('a sale decided by concurrent triggers', () => {
  let redis: TestRedis;
  let client: Redis;
  let connections: Redis[];

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    connections = Array.from({ length: 4 }, () => redis.client());
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  const order = fc.record({ customer: fc.nat({ max: 24 }), resend: fc.boolean() });
  const phase = fc.array(order, { maxLength: 40 });

  it('completes min(stock, customers ordering in the window), each order once, and replays change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          stock: fc.nat({ max: 30 }),
          phases: fc.tuple(phase, phase, phase),
          clients: fc.integer({ min: 1, max: 4 }),
          batch: fc.integer({ min: 1, max: 50 }),
        }),
        async ({ stock, phases, clients, batch }) => {
          const sale = freshSale(redis.namespace);
          const startsAt = (await redisNow(client)) + BEFORE_START_MS;
          const endsAt = startsAt + WINDOW_MS;
          await new SaleGears(client, sale).configure({ stock, startsAt, endsAt });

          const all: TestOrder[] = [];
          const entries = new Map<string, string>();
          const spans: { from: number; to: number; orders: TestOrder[] }[] = [];
          for (const [p, generated] of phases.entries()) {
            if (p === 1) await eventually(async () => (await redisNow(client)) >= startsAt, 'the window to open');
            if (p === 2) await eventually(async () => (await redisNow(client)) >= endsAt, 'the window to end');
            const orders = generated.map(({ customer, resend }, i) =>
              resend && all.length > 0
                ? (all[(customer * 7 + i) % all.length] as TestOrder)
                : { orderId: `o${p}-${i}`, customerId: `c${customer}` },
            );
            const from = await redisNow(client);
            await addOrders(client, sale, orders, entries);
            await drain(connections.slice(0, clients), sale, batch);
            spans.push({ from, to: await redisNow(client), orders });
            all.push(...orders);
          }

          const after = await snapshot(client, sale);
          expectSaleInvariants(after, all, stock);
          const decisionTimes = new Map(
            [...after.completed, ...after.rejected].map((r) => [
              r.data['orderId'],
              Number(r.data['completedAt'] ?? r.data['decidedAt']),
            ]),
          );
          // Each order was decided while the phase that first sent it ran: the recorded times are the real ones.
          const firstSpan = new Map<string, { from: number; to: number }>();
          for (const span of spans)
            for (const o of span.orders) if (!firstSpan.has(o.orderId)) firstSpan.set(o.orderId, span);
          for (const [orderId, { from, to }] of firstSpan) {
            expect(decisionTimes.get(orderId)).toBeGreaterThanOrEqual(from);
            expect(decisionTimes.get(orderId)).toBeLessThanOrEqual(to);
          }
          const inWindow = (at: number) => at >= startsAt && at < endsAt;
          const firstOrders = [...new Map(all.map((o) => [o.orderId, o])).values()];
          const hopefuls = new Set(
            firstOrders.filter((o) => inWindow(decisionTimes.get(o.orderId) as number)).map((o) => o.customerId),
          );
          expect(after.completed).toHaveLength(Math.min(stock, hopefuls.size));
          for (const record of after.completed) expect(inWindow(Number(record.data['completedAt']))).toBe(true);
          for (const record of after.rejected) {
            expect(record.data['reason'] === 'closed').toBe(!inWindow(Number(record.data['decidedAt'])));
          }

          await addOrders(client, sale, all, entries);
          await drain(connections.slice(0, clients), sale, batch);
          expect(await snapshot(client, sale)).toEqual(after);
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);
});
