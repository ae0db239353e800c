import type { INestApplication } from '@nestjs/common';
import {
  alertContract,
  completionContract,
  customerContract,
  orderContract,
  rejectionContract,
  saleReportContract,
  type SaleReport,
} from '@popup-store/contracts';
import { loadGears, SaleGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { eventually, startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { auditingConfig } from './app/auditing-config';
import { startFulfilmentAuditing } from './app/start-fulfilment-auditing';
import { encodeEntry, entryFields, readPayloads } from '@popup-store/streams-transport';

jest.setTimeout(20_000);

describe('fulfilment-auditing', () => {
  let redis: TestRedis;
  let client: Redis;
  let sales = 0;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  async function runService(sale: SaleKeys): Promise<INestApplication> {
    return startFulfilmentAuditing(
      auditingConfig({
        REDIS_URL: redis.url,
        SALE_ID: sale.saleId,
        LOG_LEVEL: 'silent',
        AUDIT_INTERVAL_MS: '50',
        COMPLETION_BLOCK_MS: '100',
      }),
    );
  }

  /** Customer entries and their orders, as intake and order-generation write them. */
  async function order(sale: SaleKeys, orderId: string, customerId: string): Promise<void> {
    const submittedAt = Date.now();
    const customer = JSON.stringify({ orderId, customerId, submittedAt });
    const entryId = (await client.xadd(sale.customers, '*', ...entryFields(customerContract, customer))) as string;
    const data = JSON.stringify({ orderId, customerId, submittedAt, orderedAt: Date.now(), customerEntryId: entryId });
    await client.xadd(sale.orders, '*', ...entryFields(orderContract, data));
  }

  async function openSale(stock: number): Promise<SaleKeys> {
    const sale = saleKeys(`${redis.namespace}-${++sales}`);
    const [seconds] = await client.time();
    await new SaleGears(client, sale).configure({
      stock,
      startsAt: Number(seconds) * 1000 - 1000,
      endsAt: Number(seconds) * 1000 + 60_000,
    });
    return sale;
  }

  const reportOf = async (sale: SaleKeys) => {
    await eventually(async () => (await client.get(sale.report)) !== null, 'the report');
    return saleReportContract.schema.parse(JSON.parse((await client.get(sale.report)) as string)) as SaleReport;
  };

  it('decides every order, and once the sale is closed and drained writes a report that matches Redis', async () => {
    const sale = await openSale(30);
    const app = await runService(sale);
    try {
      for (let i = 0; i < 100; i++) await order(sale, `o${i}`, `c${i % 60}`);
      await eventually(async () => (await client.hlen(sale.decisions)) === 100, '100 decisions');
      await new SaleGears(client, sale).setState('closed');
      const report = await reportOf(sale);
      const status = await new SaleGears(client, sale).status();
      expect(report).toMatchObject({
        ok: true,
        violations: [],
        stock: 30,
        left: 0,
        sold: 30,
        oversold: 0,
        duplicates: 0,
        lost: 0,
        outsideWindow: 0,
        accepted: 100,
        decided: 100,
        pending: 0,
        rejected: { closed: 0, duplicate: status.counts.duplicate, sold_out: status.counts.sold_out },
      });
      expect(report.rejected.duplicate + report.rejected.sold_out).toBe(70);
      expect(await client.xlen(sale.completed)).toBe(30);
      expect(await client.hlen(sale.buyers)).toBe(30);
      expect(report.latencyMs.completion.count).toBe(30);
      expect(report.latencyMs.decision.count).toBe(100);
      expect(report.timeToSellOutMs).toEqual(expect.any(Number));
      await eventually(async () => (await client.hget(sale.audit, 'completionsSeen')) === '30', 'the audit to see 30');
      expect(await client.hget(sale.audit, 'status')).toBe('ok');
    } finally {
      await app.close();
    }
  });

  it('raises an alert and fails the report when a completion record serves a customer twice', async () => {
    const sale = await openSale(5);
    const app = await runService(sale);
    try {
      await order(sale, 'o1', 'alice');
      await eventually(async () => (await client.hlen(sale.decisions)) === 1, '1 decisions');
      // A forged record, as a faulty writer would leave it: alice again, with another order and unit.
      const forged = {
        orderId: 'forged',
        customerId: 'alice',
        unit: 2,
        submittedAt: Date.now(),
        completedAt: Date.now(),
      };
      await client.xadd(sale.completed, '*', ...entryFields(completionContract, JSON.stringify(forged)));
      await eventually(async () => (await client.xlen(sale.alerts)) > 0, 'an alert');
      const [alert] = await readPayloads(client, sale.alerts, alertContract, { strict: true });
      expect(alert).toMatchObject({ kind: 'customer_served_twice' });
      expect(await client.hget(sale.audit, 'status')).toBe('violated');
      await new SaleGears(client, sale).setState('closed');
      const report = await reportOf(sale);
      expect(report.ok).toBe(false);
      expect(report.violations.join('\n')).toMatch(/duplicate|completion records|running audit/);
    } finally {
      await app.close();
    }
  });

  it('writes a clean report when the decision streams hold entries that are no records (dead-lettered by their readers)', async () => {
    const sale = await openSale(5);
    const app = await runService(sale);
    try {
      await order(sale, 'o1', 'alice');
      await eventually(async () => (await client.hlen(sale.decisions)) === 1, '1 decision');
      const forged = JSON.stringify({ orderId: 'f', customerId: 'mallory', unit: 2, submittedAt: 1, completedAt: 1 });
      for (const [stream, contract] of [
        [sale.completed, completionContract],
        [sale.rejected, rejectionContract],
      ] as const) {
        await client.xadd(stream, '*', ...entryFields(contract, 'not json'));
        await client.xadd(stream, '*', ...entryFields({ ...contract, version: contract.version + 1 }, forged));
        await client.xadd(stream, '*', ...entryFields(contract, forged), 'data', forged);
      }
      await new SaleGears(client, sale).setState('closed');
      expect(await reportOf(sale)).toMatchObject({ ok: true, sold: 1, decided: 1, violations: [] });
    } finally {
      await app.close();
    }
  });

  it('picks up orders a dead consumer read but never decided', async () => {
    const sale = await openSale(10);
    await client.xgroup('CREATE', sale.orders, 'fulfilment', '0', 'MKSTREAM');
    for (let i = 0; i < 5; i++) await order(sale, `o${i}`, `c${i}`);
    // Read and left pending by a consumer that then died (its name is not this service's).
    await client.xreadgroup('GROUP', 'fulfilment', 'crashed-elsewhere', 'COUNT', 10, 'STREAMS', sale.orders, '>');
    const app = await startFulfilmentAuditing(
      auditingConfig({
        REDIS_URL: redis.url,
        SALE_ID: sale.saleId,
        LOG_LEVEL: 'silent',
        RECLAIM_IDLE_MS: '1',
        COMPLETION_BLOCK_MS: '100',
      }),
    );
    try {
      await eventually(async () => (await client.hlen(sale.decisions)) === 5, '5 decisions');
      expect(await client.xlen(sale.completed)).toBe(5);
      expect(await client.xlen(sale.orders)).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('audits completion records a dead auditor read, after RECLAIM_IDLE_MS rather than the transport’s 30 s', async () => {
    const sale = await openSale(10);
    await client.xgroup('CREATE', sale.completed, 'auditing', '0', 'MKSTREAM');
    const now = Date.now();
    for (let unit = 1; unit <= 3; unit++) {
      const completion = { orderId: `o${unit}`, customerId: `c${unit}`, unit, submittedAt: now, completedAt: now };
      await client.xadd(sale.completed, '*', ...entryFields(completionContract, JSON.stringify(completion)));
    }
    // Read, never acknowledged, by an auditor that then died.
    await client.xreadgroup('GROUP', 'auditing', 'crashed-elsewhere', 'COUNT', 10, 'STREAMS', sale.completed, '>');
    const started = Date.now();
    const app = await startFulfilmentAuditing(
      auditingConfig({ REDIS_URL: redis.url, SALE_ID: sale.saleId, LOG_LEVEL: 'silent', RECLAIM_IDLE_MS: '300' }),
    );
    try {
      await eventually(async () => (await client.hlen(sale.auditBuyers)) === 3, '3 completions audited', 5000);
      await eventually(async () => Number((await client.xpending(sale.completed, 'auditing'))[0]) === 0, 'acked');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await app.close();
    }
  });

  it('reads RECLAIM_IDLE_MS as a positive number of milliseconds, 15 s by default', () => {
    const base = { REDIS_URL: redis.url, SALE_ID: 'popup' };
    expect(auditingConfig(base).RECLAIM_IDLE_MS).toBe(15_000);
    expect(auditingConfig({ ...base, RECLAIM_IDLE_MS: '250' }).RECLAIM_IDLE_MS).toBe(250);
    expect(() => auditingConfig({ ...base, RECLAIM_IDLE_MS: '0' })).toThrow(/RECLAIM_IDLE_MS/);
    expect(() => auditingConfig({ ...base, RECLAIM_IDLE_MS: 'soon' })).toThrow(/RECLAIM_IDLE_MS/);
  });
});

/** Faults an unlucky operator causes mid-sale, on a Redis of their own (a FUNCTION DELETE would hit any sharer). */
describe('fulfilment-auditing heals without a restart', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  async function start(saleId: string): Promise<{ app: INestApplication; sale: SaleKeys }> {
    const sale = saleKeys(saleId);
    const [seconds] = await client.time();
    await new SaleGears(client, sale).configure({
      stock: 100,
      startsAt: Number(seconds) * 1000 - 1000,
      endsAt: Number(seconds) * 1000 + 60_000,
    });
    const app = await startFulfilmentAuditing(
      auditingConfig({ REDIS_URL: redis.url, SALE_ID: saleId, LOG_LEVEL: 'silent', COMPLETION_BLOCK_MS: '100' }),
    );
    return { app, sale };
  }

  async function order(sale: SaleKeys, orderId: string): Promise<void> {
    const customer = { orderId, customerId: `c-${orderId}`, submittedAt: Date.now() };
    const customerEntryId = (await client.xadd(
      sale.customers,
      '*',
      ...encodeEntry(customerContract, customer),
    )) as string;
    const placed = { ...customer, orderedAt: Date.now(), customerEntryId };
    await client.xadd(sale.orders, '*', ...encodeEntry(orderContract, placed));
  }

  it('answers /health/ready 503 while it cannot read its streams, and 200 again once it can', async () => {
    const { app, sale } = await start('readiness');
    const ready = async () => (await fetch(`${await app.getUrl()}/health/ready`)).status;
    try {
      await eventually(async () => (await ready()) === 200, 'ready');
      expect((await fetch(`${await app.getUrl()}/health/live`)).status).toBe(200);
      // The orders key turned into a string: no read of it can succeed until it is a stream again.
      await client.del(sale.orders);
      await client.set(sale.orders, 'not a stream');
      await eventually(async () => (await ready()) === 503, 'not ready');
      await client.del(sale.orders);
      await eventually(async () => (await ready()) === 200, 'ready again');
      await order(sale, 'after');
      await eventually(async () => (await client.hget(sale.decisions, 'after')) !== null, 'an order decided');
    } finally {
      await app.close();
    }
  });

  it('loads the gears again after FUNCTION DELETE and decides on', async () => {
    const { app, sale } = await start('function-delete');
    try {
      await order(sale, 'o1');
      await eventually(async () => (await client.hlen(sale.decisions)) === 1, 'the first decision');
      await client.function('DELETE', 'popup');
      await order(sale, 'o2');
      await eventually(async () => (await client.hlen(sale.decisions)) === 2, 'a decision after the delete');
      expect(await loadGears(client)).toMatchObject({ outcome: 'unchanged' });
    } finally {
      await app.close();
    }
  });

  it('after a DEL of the orders stream, makes its group again, decides what comes, and has the customers read again', async () => {
    const { app, sale } = await start('orders-deleted');
    try {
      // order-generation's group, having read every customer entry so far.
      await client.xgroup('CREATE', sale.customers, 'order-generation', '$', 'MKSTREAM');
      await order(sale, 'o1');
      await eventually(async () => (await client.hlen(sale.decisions)) === 1, 'the first decision');
      await order(sale, 'lost');
      await client.del(sale.orders);
      await order(sale, 'o2');
      await eventually(async () => (await client.hget(sale.decisions, 'o2')) !== null, 'a decision after the DEL');
      const groups = (await client.xinfo('GROUPS', sale.customers)) as unknown[][];
      const lastDelivered = (fields: unknown[]) => fields[fields.indexOf('last-delivered-id') + 1];
      await eventually(
        async () => lastDelivered(((await client.xinfo('GROUPS', sale.customers)) as unknown[][])[0]) === '0-0',
        'order-generation reads the customers stream from its start again',
      );
      expect(groups).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
