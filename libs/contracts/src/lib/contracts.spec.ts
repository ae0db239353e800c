import fc from 'fast-check';
import { alertContract } from './alert.contract';
import { completionContract } from './completion.contract';
import { customerContract } from './customer.contract';
import { deadLetterContract } from './dead-letter.contract';
import { orderContract } from './order.contract';
import { rejectionContract } from './rejection.contract';
import { saleReportContract } from './sale-report.contract';

const contracts = {
  customer: customerContract,
  order: orderContract,
  completion: completionContract,
  rejection: rejectionContract,
  alert: alertContract,
  'dead-letter': deadLetterContract,
  'sale-report': saleReportContract,
} as const;

const now = 1_760_000_000_000;

const valid = {
  customer: { orderId: 't-1', customerId: 'alice@example', submittedAt: now },
  order: {
    orderId: 't-1',
    customerId: 'alice',
    submittedAt: now,
    orderedAt: now + 1,
    customerEntryId: '1760000000000-0',
  },
  completion: { orderId: 't-1', customerId: 'alice', unit: 1, submittedAt: now, completedAt: now + 2 },
  rejection: { orderId: 't-1', customerId: 'alice', reason: 'sold_out', submittedAt: now, decidedAt: now + 2 },
  alert: { kind: 'oversold', message: 'more units sold than stock', at: now, details: { sold: 10_001 } },
  'dead-letter': {
    stream: '{sale:popup}:orders',
    id: '1-0',
    group: 'gears',
    consumer: 'host-1',
    error: 'boom',
    deliveries: 5,
    fields: { v: '1', data: '{}' },
    truncated: false,
    deadAt: now,
  },
  'sale-report': {
    saleId: 'popup',
    stock: 2,
    left: 0,
    sold: 2,
    oversold: 0,
    duplicates: 0,
    lost: 0,
    outsideWindow: 0,
    accepted: 3,
    decided: 3,
    pending: 0,
    deadLettered: 0,
    rejected: { closed: 0, duplicate: 0, sold_out: 1 },
    latencyMs: {
      completion: { p50: 1.5, p95: 2, p99: 2, max: 2, count: 2 },
      decision: { p50: 1.5, p95: 3, p99: 3, max: 3, count: 3 },
    },
    startsAt: now,
    endsAt: now + 600_000,
    soldOutAt: now + 10,
    timeToSellOutMs: 10,
    ok: true,
    violations: [],
    reportedAt: now + 20,
  },
};

describe('contracts', () => {
  it.each(Object.keys(contracts) as (keyof typeof contracts)[])('%s accepts a well-formed payload and bears its name', (name) => {
    const contract = contracts[name];
    expect(contract.name).toBe(name);
    expect(contract.schema.safeParse(valid[name]).success).toBe(true);
  });

  it('rejects unknown fields, wrong types, fractional times and oversized ids', () => {
    const { customer } = contracts;
    const base = valid.customer;
    expect(customer.schema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(customer.schema.safeParse({ ...base, submittedAt: '1760000000000' }).success).toBe(false);
    expect(customer.schema.safeParse({ ...base, submittedAt: now + 0.5 }).success).toBe(false);
    expect(customer.schema.safeParse({ ...base, customerId: 'x'.repeat(65) }).success).toBe(false);
    expect(customer.schema.safeParse({ ...base, customerId: 'has space' }).success).toBe(false);
    expect(customer.schema.safeParse({ ...base, orderId: '' }).success).toBe(false);
  });

  it('bounds free-form values', () => {
    const tooManyDetails = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]));
    expect(contracts.alert.schema.safeParse({ ...valid.alert, details: tooManyDetails }).success).toBe(false);
    expect(contracts.alert.schema.safeParse({ ...valid.alert, message: 'x'.repeat(1025) }).success).toBe(false);
    expect(contracts.rejection.schema.safeParse({ ...valid.rejection, reason: 'bored' }).success).toBe(false);
    expect(contracts.order.schema.safeParse({ ...valid.order, customerEntryId: '17-0-1' }).success).toBe(false);
  });

  it('whatever the schema accepts survives a JSON round trip unchanged', () => {
    const customerId = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,64}$/);
    const orderId = fc.stringMatching(/^[\x21-\x7E]{1,64}$/);
    const epochMs = fc.integer({ min: 0, max: 99_999_999_999_999 });
    fc.assert(
      fc.property(fc.record({ orderId, customerId, submittedAt: epochMs }), (customer) => {
        const parsed = contracts.customer.schema.parse(customer);
        expect(contracts.customer.schema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(customer);
      }),
    );
  });
});
