import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { undecidedTickets } from './ticket-check';

describe('undecidedTickets', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
  });

  afterAll(() => redis.dispose());

  it('names the tickets Redis holds no decision for, across chunks', async () => {
    const sale = saleKeys(`${redis.namespace}-tickets`);
    const tickets = Array.from({ length: 2500 }, (_, i) => `t-${i}`);
    const lost = ['t-0', 't-999', 't-1000', 't-2499'];
    const decided = tickets.filter((ticket) => !lost.includes(ticket));
    await client.hset(
      sale.decisions,
      Object.fromEntries(decided.map((ticket, i) => [ticket, i % 2 ? 'completed:1:1' : 'rejected:sold_out:1'])),
    );

    expect(await undecidedTickets(client, sale, tickets)).toEqual(lost);
    expect(await undecidedTickets(client, sale, decided)).toEqual([]);
    expect(await undecidedTickets(client, sale, [])).toEqual([]);
  });
});
