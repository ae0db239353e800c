import { deadLetterStream, SaleStateField, type SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { completionContract } from '@popup-store/contracts';
import { readRecords } from '@popup-store/streams-transport';
import { entriesAdded } from './streams';

/** What Redis holds about a sale once its orders are decided, and every invariant it breaks. */
export interface SaleCheck {
  readonly stock: number;
  /** Orders written to the customers stream (`entries-added`: deleting decided entries does not lower it). */
  readonly accepted: number;
  /** Orders with a decision (fields of the decisions hash). */
  readonly decided: number;
  readonly completed: number;
  readonly rejected: number;
  /** Orders still waiting in the customers or orders stream, or dead-lettered. */
  readonly undecided: number;
  readonly failures: readonly string[];
}

/**
 * Checks, from Redis alone, that a sale ended right: exactly the stock sold (each unit once, one per customer),
 * and every order written decided exactly once. Every scenario offers at least as many customers as units, so anything
 * but a sell-out is a failure too. `orders`, when given, is how many orders the bench wrote.
 */
export async function checkSale(redis: RedisConnection, sale: SaleKeys, orders?: number): Promise<SaleCheck> {
  const [state, decided, buyers, completed, rejected, customersLeft, ordersLeft, ...deadLetters] = await Promise.all([
    redis.hgetall(sale.state),
    redis.hlen(sale.decisions),
    redis.hlen(sale.buyers),
    redis.xlen(sale.completed),
    redis.xlen(sale.rejected),
    redis.xlen(sale.customers),
    redis.xlen(sale.orders),
    redis.xlen(deadLetterStream(sale.customers)),
    redis.xlen(deadLetterStream(sale.orders)),
  ]);
  const accepted = await entriesAdded(redis, sale.customers);
  const stock = Number(state[SaleStateField.stock] ?? Number.NaN);
  const left = Number(state[SaleStateField.left] ?? Number.NaN);
  const undecided = customersLeft + ordersLeft + deadLetters.reduce((sum, n) => sum + n, 0);
  const failures: string[] = [];
  const expect = (ok: boolean, failure: string) => ok || failures.push(failure);

  expect(Number.isInteger(stock) && stock > 0, `no sale configured at ${sale.state}`);
  if (orders !== undefined)
    expect(accepted === orders, `${orders} orders written, ${accepted} in the customers stream`);
  expect(completed === stock, `${completed} completions recorded for a stock of ${stock}`);
  expect(buyers === stock, `${buyers} buyers for a stock of ${stock}`);
  expect(left === 0, `${left} units left after a crowd at least as large as the stock`);
  expect(decided === accepted, `${accepted} orders accepted, ${decided} decided`);
  expect(completed + rejected === decided, `${completed + rejected} decision entries for ${decided} decided orders`);
  expect(
    undecided === 0,
    `${customersLeft} customers and ${ordersLeft} orders waiting, ${undecided - customersLeft - ordersLeft} dead-lettered`,
  );

  const units = new Set<number>();
  const customers = new Set<string>();
  for await (const record of readRecords(redis, sale.completed, completionContract)) {
    if (!record.ok) failures.push(`completion ${record.id} is malformed: ${record.error}`);
    else {
      const { unit, customerId } = record.data;
      if (unit > stock) failures.push(`completion ${record.id} sells unit ${unit} of ${stock}`);
      else if (units.has(unit)) failures.push(`completion ${record.id} sells unit ${unit} twice`);
      if (customers.has(customerId)) failures.push(`completion ${record.id} serves customer ${customerId} twice`);
      units.add(unit);
      customers.add(customerId);
    }
    if (failures.length >= 20) break;
  }
  return { stock, accepted, decided, completed, rejected, undecided, failures };
}

/** A scenario that broke an invariant: a fast wrong answer is not a result. */
export class InvariantError extends Error {
  constructor(scenario: string, failures: readonly string[]) {
    super(`${scenario}: the sale ended wrong:\n  ${failures.join('\n  ')}`);
    this.name = 'InvariantError';
  }
}

/** Throws an {@link InvariantError} naming every broken invariant. */
export function assertSale(scenario: string, check: SaleCheck): void {
  if (check.failures.length) throw new InvariantError(scenario, check.failures);
}
