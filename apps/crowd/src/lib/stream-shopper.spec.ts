import { customerContract } from '@popup-store/contracts';
import { saleKeys } from '@popup-store/keys';
import { readPayloads } from '@popup-store/streams-transport';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { planArrivals } from './arrivals';
import { playCrowd } from './play-crowd';
import { StreamShopper } from './stream-shopper';

describe('StreamShopper', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(() => redis.dispose());

  it('writes one customer entry per arrival, in the customers stream contract', async () => {
    const sale = saleKeys(`${redis.namespace}-crowd`);
    const shopper = new StreamShopper(redis.url, sale);
    const arrivals = planArrivals({ customers: 300, rate: 20_000, repeatShare: 0.1, seed: 3 });
    const { tally } = await playCrowd(arrivals, (id, at, t) => shopper.order(id, at, t));
    await shopper.close();
    const client = redis.client();
    expect(await client.xlen(sale.customers)).toBe(arrivals.length);
    expect(tally.statuses).toEqual({ queued: arrivals.length });
    const [first] = await readPayloads(client, sale.customers, customerContract, { strict: true });
    expect(first).toEqual({
      orderId: tally.accepted[0],
      customerId: arrivals[0]?.customerId,
      submittedAt: expect.any(Number),
    });
  });
});
