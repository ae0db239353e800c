import { alertContract, completionContract, type Completion } from '@popup-store/contracts';
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { producerContracts, runArchive, saleKeys, type SaleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import { entryFields, readPayloads, RedisStreamsClient, type StreamMessage } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { SalesGears } from '../app/audit-connections';
import { AuditLedgerService } from './audit-ledger.service';

describe('the audit ledger', () => {
  let redis: TestRedis;
  let client: Redis;
  let alerts: RedisStreamsClient;
  let ledger: AuditLedgerService;
  const window = { startsAt: 0, endsAt: 99_999_999_999_999 };

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
    alerts = new RedisStreamsClient({ connection: client, streams: producerContracts('fulfilment-auditing') });
    ledger = new AuditLedgerService(client, alerts, new SalesGears(client));
  });
  afterAll(async () => {
    await alerts.close();
    await redis.dispose();
  });

  /** A completion as the auditor reads it; written to the sale's completed stream unless `entryId` is given. */
  async function completion(sale: SaleKeys, orderId: string, customerId: string, unit: number, entryId?: string) {
    const data: Completion = { orderId, customerId, unit, submittedAt: 1, completedAt: 2 };
    const fields = entryFields(completionContract, JSON.stringify(data));
    const id = entryId ?? ((await client.xadd(sale.completed, '*', ...fields)) as string);
    const message: StreamMessage<Completion> = {
      id,
      data,
      deliveryCount: 1,
      fields: Object.fromEntries([[fields[0], fields[1]], [fields[2], fields[3]]]),
      carrier: {},
    };
    return message;
  }
  const raised = async (sale: SaleKeys) =>
    (await readPayloads(client, sale.alerts, alertContract, { strict: true })).map(({ kind }) => kind);

  it('alerts on a second order for a unit or a customer, not on the same order delivered again', async () => {
    const sale = saleKeys(`${redis.namespace}-twice`);
    await new SaleGears(client, sale).configure({ stock: 5, ...window });
    const first = await completion(sale, 'o1', 'alice', 1);
    await ledger.recordCompletions(sale, [first]);
    await ledger.recordCompletions(sale, [first]);
    expect(await raised(sale)).toEqual([]);
    await ledger.recordCompletions(sale, [await completion(sale, 'o2', 'bob', 1)]);
    await ledger.recordCompletions(sale, [await completion(sale, 'o3', 'alice', 2)]);
    expect(await raised(sale)).toEqual(['unit_sold_twice', 'customer_served_twice']);
    expect(await client.hget(sale.audit, 'status')).toBe('violated');
  });

  it('lets a completion the earlier run carried across claim nothing, and still alerts on a forged one', async () => {
    const sale = saleKeys(`${redis.namespace}-runs`);
    const gears = new SaleGears(client, sale);
    await gears.configure({ stock: 5, ...window });
    // Run 1 sold unit 1 to alice (order o1); the auditor read its completion, then the operator started over.
    await client.hset(sale.state, 'completed', 1, 'left', 4);
    const o1 = await completion(sale, 'o1', 'alice', 1);
    await expect(gears.configure({ stock: 5, ...window, force: true })).resolves.toMatchObject({ run: 2 });
    expect(await client.xlen(runArchive(sale, 1).completed)).toBe(1);

    // The auditor enters o1 after the start-over, then run 2 sells unit 1 to alice again (o2).
    await ledger.recordCompletions(sale, [o1]);
    await ledger.recordCompletions(sale, [await completion(sale, 'o2', 'alice', 1)]);
    expect(await raised(sale)).toEqual([]);
    expect(await client.hget(sale.auditUnits, '1')).toBe('o2');
    expect(await client.hget(sale.auditBuyers, 'alice')).toBe('o2');
    // o1 again (a redelivery) raises nothing; a record of no run at all for unit 1 is a unit sold twice.
    await ledger.recordCompletions(sale, [o1]);
    await ledger.recordCompletions(sale, [await completion(sale, 'forged', 'mal', 1)]);
    expect(await raised(sale)).toEqual(['unit_sold_twice']);
  });

  // The cluster master-kill chaos scenario found it: a completion read from a master that died before its replica
  // had it, its claims resent to the new master, where the order was decided again and its unit went to another.
  it('lets a completion lost with its master claim nothing, so the unit sold again on the new master raises nothing', async () => {
    const sale = saleKeys(`${redis.namespace}-failover`);
    await new SaleGears(client, sale).configure({ stock: 5, ...window });
    const lost = await completion(sale, 'o-lost', 'alice', 7, '1-1');
    await ledger.recordCompletions(sale, [lost]);
    expect(await client.exists(sale.auditUnits, sale.auditBuyers)).toBe(0);
    await ledger.recordCompletions(sale, [await completion(sale, 'o-again', 'bob', 7)]);
    expect(await raised(sale)).toEqual([]);
    expect(await client.hget(sale.auditUnits, '7')).toBe('o-again');
  });
});
