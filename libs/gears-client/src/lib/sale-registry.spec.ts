import { SALE_REGISTRY_KEY } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { SaleRegistry } from './sale-registry';

describe('SaleRegistry', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
  });
  afterAll(() => redis.dispose());

  it('lists each registered sale once, by its last change', async () => {
    const client = redis.client();
    await client.del(SALE_REGISTRY_KEY);
    const registry = new SaleRegistry(client);
    await registry.register('spring', 1_000);
    await registry.register('autumn', 2_000);
    await registry.register('spring', 3_000);
    expect(await registry.list()).toEqual([
      { saleId: 'autumn', changedAt: 2_000 },
      { saleId: 'spring', changedAt: 3_000 },
    ]);
  });

  it('refuses an id that cannot sit inside a hash tag, writing nothing', async () => {
    const client = redis.client();
    await client.del(SALE_REGISTRY_KEY);
    await expect(new SaleRegistry(client).register('a}b')).rejects.toThrow(RangeError);
    expect(await client.exists(SALE_REGISTRY_KEY)).toBe(0);
  });
});
