import type { SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';

const CHUNK = 1000;

/**
 * The tickets (order ids the crowd got a 202 for) that Redis holds no decision for: seen from the client's side,
 * each is an order the store promised and lost, whatever its own report says.
 */
export async function undecidedTickets(
  redis: RedisConnection,
  sale: SaleKeys,
  tickets: readonly string[],
): Promise<string[]> {
  const undecided: string[] = [];
  for (let i = 0; i < tickets.length; i += CHUNK) {
    const chunk = tickets.slice(i, i + CHUNK);
    const decisions = await redis.hmget(sale.decisions, ...chunk);
    decisions.forEach((decision, j) => {
      if (decision === null) undecided.push(chunk[j]);
    });
  }
  return undecided;
}
