import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { freshSale } from '../../../test/sale-fixture';
import { GearsErrorCode } from '../gears-error';
import { loadGears } from '../load-gears';
import { SaleGears } from '../sale-gears';
import { takeOrderFunction } from './take-order';

const entry = (orderId: string, customerId: string) => [
  'v',
  '1',
  'data',
  JSON.stringify({ orderId, customerId, submittedAt: 1 }),
  'traceparent',
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
];

describe('takeOrderFunction arguments', () => {
  it('passes the buyers hash and the customers stream, then the customer and the entry as encoded', () => {
    expect(takeOrderFunction.keys(saleKeys('s'))).toEqual(['{sale:s}:buyers', '{sale:s}:customers']);
    expect(takeOrderFunction.args({ customerId: 'c', fields: ['v', '1', 'data', '{}'] })).toEqual([
      'c',
      'v',
      '1',
      'data',
      '{}',
    ]);
    expect(takeOrderFunction.parse('', { customerId: 'c', fields: [] })).toBeNull();
    expect(takeOrderFunction.parse('1-0', { customerId: 'c', fields: [] })).toBe('1-0');
  });
});

describe('popup_take_order', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  it('writes the entry exactly as given, trace context included, and answers its id', async () => {
    const sale = freshSale(redis.namespace);
    const id = await new SaleGears(client, sale).takeOrder({ customerId: 'c1', fields: entry('o1', 'c1') });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await client.xrange(sale.customers, '-', '+')).toEqual([[id, entry('o1', 'c1')]]);
  });

  it('writes nothing for a customer who holds a unit, and answers null', async () => {
    const sale = freshSale(redis.namespace);
    await client.hset(sale.buyers, 'c1', 'o0:1');
    await expect(new SaleGears(client, sale).takeOrder({ customerId: 'c1', fields: entry('o1', 'c1') })).resolves.toBe(
      null,
    );
    expect(await client.exists(sale.customers)).toBe(0);
  });

  it('refuses keys of two sales, an empty customer and broken field lists, writing nothing', async () => {
    const sale = freshSale(redis.namespace);
    const other = freshSale(redis.namespace);
    const fcall = (keys: string[], args: string[]) =>
      client.call('FCALL', 'popup_take_order', keys.length, ...keys, ...args);
    const refused = expect.objectContaining({ message: expect.stringMatching(/^ERR_POPUP_BAD_ARG /) });
    await expect(fcall([sale.buyers, other.customers], ['c1', ...entry('o1', 'c1')])).rejects.toEqual(refused);
    await expect(fcall([sale.buyers], ['c1', ...entry('o1', 'c1')])).rejects.toEqual(refused);
    await expect(fcall([sale.buyers, sale.customers], ['', ...entry('o1', 'c1')])).rejects.toEqual(refused);
    await expect(fcall([sale.buyers, sale.customers], ['c1', 'v', '1', 'data'])).rejects.toEqual(refused);
    await expect(fcall([sale.buyers, sale.customers], ['c1', 'v'])).rejects.toEqual(refused);
    await expect(
      new SaleGears(client, sale).takeOrder({ customerId: '', fields: entry('o1', 'c1') }),
    ).rejects.toMatchObject({ code: GearsErrorCode.BadArgument });
    expect(await client.exists(sale.customers, other.customers)).toBe(0);
  });
});
