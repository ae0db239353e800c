import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { freshSale } from '../../../test/sale-fixture';
import { GearsErrorCode } from '../gears-error';
import { loadGears } from '../load-gears';
import { SaleGears } from '../sale-gears';
import { setSaleStateFunction } from './set-sale-state';

describe('setSaleStateFunction arguments', () => {
  it('passes the state key and the state', () => {
    expect(setSaleStateFunction.keys(saleKeys('s'))).toEqual(['{sale:s}:state']);
    expect(setSaleStateFunction.args('closed')).toEqual(['closed']);
  });
});

describe('popup_set_sale_state', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  it('switches a configured sale and answers the state before', async () => {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    await gears.configure({ stock: 1, startsAt: 0, endsAt: 1 });
    await expect(gears.setState('closed')).resolves.toBe('open');
    expect((await gears.status()).phase).toBe('closed');
    await expect(gears.setState('open')).resolves.toBe('closed');
  });

  it('refuses an unknown state and a sale never configured', async () => {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    await expect(gears.setState('open')).rejects.toMatchObject({ code: GearsErrorCode.NoSale });
    await gears.configure({ stock: 1, startsAt: 0, endsAt: 1 });
    await expect(gears.setState('paused' as 'open')).rejects.toMatchObject({ code: GearsErrorCode.BadArgument });
  });
});
