import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { freshSale } from '../../../test/sale-fixture';
import { GearsErrorCode } from '../gears-error';
import { loadGears } from '../load-gears';
import { SaleGears } from '../sale-gears';
import { auditClaimsFunction } from './audit-claims';

describe('popup_audit_claims', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  it('passes the completed stream and the two ledger hashes, then 4 fields per completion', () => {
    const sale = freshSale('s');
    expect(auditClaimsFunction.keys(sale)).toEqual([sale.completed, sale.auditBuyers, sale.auditUnits]);
    expect(auditClaimsFunction.args([{ entryId: '1-1', orderId: 'o', customerId: 'c', unit: 3 }])).toEqual([
      '1-1', 'o', 'c', '3',
    ]);
  });

  it('claims the customer and the unit of each completion in the stream, once, and nothing for one not there', async () => {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    const { sale } = gears;
    const inStream = async () => (await client.xadd(sale.completed, '*', 'v', '1', 'data', '{}')) as string;
    const [a, b, c] = [await inStream(), await inStream(), await inStream()];
    const claims = await gears.claimForAudit([
      { entryId: a, orderId: 'o1', customerId: 'ann', unit: 1 },
      // Another order for ann's customer and unit 1, in the same call: neither claimed by it.
      { entryId: b, orderId: 'o2', customerId: 'ann', unit: 1 },
      // A new unit for a customer claimed already: the unit only.
      { entryId: c, orderId: 'o3', customerId: 'ann', unit: 2 },
      { entryId: '1-1', orderId: 'o4', customerId: 'bob', unit: 3 },
    ]);
    expect(claims).toEqual([
      { absent: false, buyer: true, unit: true },
      { absent: false, buyer: false, unit: false },
      { absent: false, buyer: false, unit: true },
      { absent: true },
    ]);
    expect(await client.hgetall(sale.auditBuyers)).toEqual({ ann: 'o1' });
    expect(await client.hgetall(sale.auditUnits)).toEqual({ 1: 'o1', 2: 'o3' });
  });

  it.each([
    ['a malformed entry id', ['x', 'o', 'c', '1']],
    ['an empty customer', ['1-1', 'o', '', '1']],
    ['fields not in fours', ['1-1', 'o', 'c']],
  ])('refuses %s and writes nothing', async (_, args) => {
    const sale = freshSale(redis.namespace);
    await client.xadd(sale.completed, '1-1', 'v', '1', 'data', '{}');
    await expect(
      client.call('FCALL', 'popup_audit_claims', 3, ...auditClaimsFunction.keys(sale), ...args),
    ).rejects.toThrow(GearsErrorCode.BadArgument);
    expect(await client.exists(sale.auditBuyers, sale.auditUnits)).toBe(0);
  });
});
