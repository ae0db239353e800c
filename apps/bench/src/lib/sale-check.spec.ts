import { loadGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { decideAll } from './engine';
import { openSale, readOrders, writeCustomers, writeOrders } from './orders';
import { assertSale, checkSale, InvariantError } from './sale-check';
import { entryFields } from '@popup-store/streams-transport';
import { completionContract } from '@popup-store/contracts';

describe('checkSale', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });

  afterAll(() => redis.dispose());

  /** A sale of `stock` units with `customers` orders written, the first `decide` of them decided by the gears. */
  async function sale(name: string, stock: number, customers: number, decide = customers) {
    const keys = saleKeys(`${redis.namespace}-${name}`);
    await openSale(client, keys, stock);
    await writeOrders(client, keys, await writeCustomers(client, keys, customers));
    await decideAll([client], keys, (await readOrders(client, keys, customers)).slice(0, decide), 4);
    return keys;
  }

  it('passes a sale the gears decided: the stock sold, every order decided once', async () => {
    const keys = await sale('right', 5, 12);
    const check = await checkSale(client, keys, 12);
    expect(check).toMatchObject({ stock: 5, accepted: 12, decided: 12, completed: 5, rejected: 7, undecided: 0 });
    expect(check.failures).toEqual([]);
    expect(() => assertSale('right', check)).not.toThrow();
  });

  it('fails loudly on a forged extra completion: oversold, a unit twice, a customer twice', async () => {
    const keys = await sale('forged', 5, 12);
    const forged = { orderId: 'forged', customerId: 'c0', unit: 3, submittedAt: 1, completedAt: 2 };
    await client.xadd(keys.completed, '*', ...entryFields(completionContract, JSON.stringify(forged)));

    const check = await checkSale(client, keys, 12);
    expect(check.failures).toEqual(
      expect.arrayContaining([
        '6 completions recorded for a stock of 5',
        '13 decision entries for 12 decided orders',
        expect.stringMatching(/sells unit 3 twice/),
        expect.stringMatching(/serves customer c0 twice/),
      ]),
    );
    expect(() => assertSale('forged', check)).toThrow(InvariantError);
  });

  it('fails on an order left undecided, and on orders written that never reached the stream', async () => {
    const keys = await sale('lost', 3, 8, 7);
    const { failures } = await checkSale(client, keys, 9);
    expect(failures).toEqual(
      expect.arrayContaining([
        '9 orders written, 8 in the customers stream',
        '8 orders accepted, 7 decided',
        '1 customers and 1 orders waiting, 0 dead-lettered',
      ]),
    );
  });
});
