import { alertContract } from '@popup-store/contracts';
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { producerContracts, runArchive, saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { readPayloads, RedisStreamsClient } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { AuditLedgerService } from './audit-ledger.service';

describe('the audit ledger across a start-over', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  it('lets a completion the earlier run carried across claim nothing, and still alerts on a forged one', async () => {
    const sale = saleKeys(`${redis.namespace}-runs`);
    const gears = new SaleGears(client, sale);
    const window = { startsAt: 0, endsAt: 99_999_999_999_999 };
    await gears.configure({ stock: 5, ...window });
    // Run 1 sold unit 1 to alice (order o1), as the gears record it; then the operator starts the sale over.
    await client.hset(sale.state, 'completed', 1, 'left', 4);
    await client.hset(sale.decisions, 'o1', 'completed:1:1');
    await expect(gears.configure({ stock: 5, ...window, force: true })).resolves.toMatchObject({ run: 2 });
    expect(await client.hget(runArchive(sale, 1).decisions, 'o1')).not.toBeNull();

    const alerts = new RedisStreamsClient({ connection: client, streams: producerContracts('fulfilment-auditing') });
    const ledger = new AuditLedgerService(client, alerts);
    const at = Date.now();
    // The auditor enters o1 after the start-over (read just before it), then run 2 sells unit 1 to alice again.
    await ledger.recordCompletions(sale, [
      { orderId: 'o1', customerId: 'alice', unit: 1, submittedAt: at, completedAt: at },
    ]);
    await client.hset(sale.decisions, 'o2', 'completed:1:2');
    await ledger.recordCompletions(sale, [
      { orderId: 'o2', customerId: 'alice', unit: 1, submittedAt: at, completedAt: at },
    ]);
    expect(await client.xlen(sale.alerts)).toBe(0);
    expect(await client.hget(sale.auditUnits, '1')).toBe('o2');
    expect(await client.hget(sale.auditBuyers, 'alice')).toBe('o2');
    // o1 again (a redelivery) raises nothing; a record of no run at all for unit 1 is a unit sold twice.
    await ledger.recordCompletions(sale, [
      { orderId: 'o1', customerId: 'alice', unit: 1, submittedAt: at, completedAt: at },
    ]);
    await ledger.recordCompletions(sale, [
      { orderId: 'forged', customerId: 'mal', unit: 1, submittedAt: at, completedAt: at },
    ]);
    const raised = await readPayloads(client, sale.alerts, alertContract, { strict: true });
    expect(raised.map(({ kind }) => kind)).toEqual(['unit_sold_twice']);
    await alerts.close();
  });
});
