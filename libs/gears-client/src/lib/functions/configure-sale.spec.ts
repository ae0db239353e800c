import { runArchive, saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { addOrders, drain, freshSale, redisNow } from '../../../test/sale-fixture';
import { GearsErrorCode } from '../gears-error';
import { loadGears } from '../load-gears';
import { SaleGears } from '../sale-gears';
import { configureSaleFunction, runKeys } from './configure-sale';

describe('configureSaleFunction arguments', () => {
  it('passes stock, window and force as the Lua header lists them', () => {
    const sale = saleKeys('s');
    expect(configureSaleFunction.keys(sale)).toEqual([
      sale.state,
      sale.buyers,
      sale.decisions,
      sale.customers,
      sale.orders,
      sale.completed,
      sale.rejected,
      sale.alerts,
      sale.audit,
      sale.auditBuyers,
      sale.auditUnits,
      sale.report,
    ]);
    expect(configureSaleFunction.args({ stock: 10, startsAt: 1, endsAt: 2 })).toEqual(['10', '1', '2', '0']);
    expect(configureSaleFunction.args({ stock: 0, startsAt: 1, endsAt: 2, force: true })).toEqual(['0', '1', '2', '1']);
  });
});

describe('popup_configure_sale', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  it('configures and reconfigures a sale that sold nothing, keeping its history', async () => {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    const now = await redisNow(client);
    await expect(gears.configure({ stock: 0, startsAt: now - 10, endsAt: now + 60_000 })).resolves.toEqual({
      soldBefore: 0,
      run: 1,
    });
    await addOrders(client, gears.sale, [{ orderId: 'o1', customerId: 'ann' }]);
    await drain([client], gears.sale, 10);
    expect((await gears.status()).soldOutAt).not.toBeNull();
    await expect(gears.configure({ stock: 5, startsAt: now - 10, endsAt: now + 60_000, force: true })).resolves.toEqual(
      {
        soldBefore: 0,
        run: 1,
      },
    );
    expect(await gears.status()).toMatchObject({
      phase: 'open',
      stock: 5,
      left: 5,
      soldOutAt: null,
      counts: { sold_out: 1 },
      run: 1,
    });
  });

  it('refuses to reconfigure a sale that sold units unless forced, which starts it over as a new run', async () => {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    const sale = gears.sale;
    const now = await redisNow(client);
    const window = { startsAt: now - 10, endsAt: now + 60_000 };
    await gears.configure({ stock: 3, ...window });
    await addOrders(client, sale, [{ orderId: 'o1', customerId: 'ann' }]);
    await drain([client], sale, 10);
    // An order of the first run still waiting, and the auditor's records of it.
    await addOrders(client, sale, [{ orderId: 'o2', customerId: 'bob' }]);
    await client.hset(sale.auditUnits, '1', 'o1');
    await client.set(sale.report, '{}');
    await expect(gears.configure({ stock: 9, ...window })).rejects.toMatchObject({
      code: GearsErrorCode.SaleStarted,
      detail: expect.stringContaining('1 units sold already'),
    });
    await expect(gears.configure({ stock: 9, ...window, force: true })).resolves.toEqual({ soldBefore: 1, run: 2 });
    expect(await gears.status()).toMatchObject({
      left: 9,
      run: 2,
      counts: { completed: 0, closed: 0, duplicate: 0, sold_out: 0 },
    });
    const live = runKeys(sale).filter((key) => key !== sale.state);
    expect(await client.exists(...live)).toBe(0);
    // The first run, whole, under its archive keys: its decision of o1, its undecided o2, its audit and report.
    const first = runArchive(sale, 1);
    expect(await client.hget(first.decisions, 'o1')).toMatch(/^completed:1:/);
    expect(await client.hget(first.state, 'completed')).toBe('1');
    expect(await client.xlen(first.orders)).toBe(1);
    expect(await client.hget(first.auditUnits, '1')).toBe('o1');
    expect(await client.get(first.report)).toBe('{}');
    // The new run decides only its own orders, from its own stock.
    await drain([client], sale, 10);
    expect(await gears.status()).toMatchObject({ left: 9, counts: { completed: 0 } });
    await addOrders(client, sale, [{ orderId: 'o3', customerId: 'ann' }]);
    await drain([client], sale, 10);
    expect(await client.hget(sale.decisions, 'o3')).toMatch(/^completed:1:/);
    // An order of the first run that a reader carried across the start-over (its customer entry older than the run):
    // acknowledged and gone, decided by nobody, nothing of the new run touched.
    await addOrders(client, sale, [{ orderId: 'carried', customerId: 'cal' }], new Map([['carried', '1-0']]));
    await drain([client], sale, 10);
    expect(await client.hget(sale.decisions, 'carried')).toBeNull();
    expect(await client.xlen(sale.orders)).toBe(0);
    expect(await client.xlen(sale.rejected)).toBe(0);
    expect(await gears.status()).toMatchObject({ left: 8, counts: { completed: 1, closed: 0 } });
    // And a second start-over archives run 2 beside run 1.
    await expect(gears.configure({ stock: 1, ...window, force: true })).resolves.toEqual({ soldBefore: 1, run: 3 });
    expect(await client.hget(runArchive(sale, 2).decisions, 'o3')).toMatch(/^completed:1:/);
    expect(await client.hget(first.decisions, 'o1')).toMatch(/^completed:1:/);
  });

  it('refuses arguments out of range with ERR_POPUP_BAD_ARG', async () => {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    for (const [config, detail] of [
      [{ stock: -1, startsAt: 0, endsAt: 1 }, /stock must be an integer >= 0, got -1/],
      [{ stock: 1.5, startsAt: 0, endsAt: 1 }, /stock must be an integer/],
      [{ stock: Number.NaN, startsAt: 0, endsAt: 1 }, /got NaN/],
      [{ stock: 1, startsAt: 5, endsAt: 5 }, /0 <= startsAt < endsAt/],
      [{ stock: 1, startsAt: 0, endsAt: 2 ** 60 }, /0 <= startsAt < endsAt/],
    ] as const) {
      await expect(gears.configure(config)).rejects.toMatchObject({
        code: GearsErrorCode.BadArgument,
        detail: expect.stringMatching(detail),
      });
    }
    const keys = configureSaleFunction.keys(gears.sale);
    await expect(
      client.call('FCALL', 'popup_configure_sale', keys.length, ...keys, '1', '0', '1', 'yes'),
    ).rejects.toThrow(/^ERR_POPUP_BAD_ARG force must be '0' or '1', got yes$/);
    expect(await client.exists(gears.sale.state)).toBe(0);
  });
});
