import type { SaleStatus } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import type { SaleSample } from '../sampling/sale-sample';
import { salePoints } from './sale-points';
import { seriesKeys } from './series-keys';

const keys = seriesKeys(saleKeys('popup'));

function sample(now: number, counts: SaleStatus['counts'], customersAdded: number): SaleSample {
  const status: SaleStatus = {
    phase: 'open',
    state: 'open',
    stock: 10,
    left: 10 - counts.completed,
    startsAt: 0,
    endsAt: 1e13,
    soldOutAt: null,
    now,
    counts,
    run: 1,
    replayed: 0,
  };
  const room = {
    on: false,
    closed: false,
    rate: 0,
    waiting: 0,
    early: 0,
    joined: 0,
    admitted: 0,
    abandoned: 0,
    estimateError: null,
    auto: false,
    autoOnAt: null,
  };
  return { status, room, streams: { customers: { length: 4, entriesAdded: customersAdded } }, readAt: now };
}

const byKey = (points: ReturnType<typeof salePoints>) =>
  Object.fromEntries(points.map((p) => [p.key.replace('{sale:popup}:ts:', ''), p.value]));

describe('salePoints', () => {
  const first = sample(10_000, { completed: 2, closed: 0, duplicate: 1, sold_out: 0 }, 100);

  it('gives levels from the first sample, and no rate until there is a previous one', () => {
    expect(byKey(salePoints(keys, first, undefined, undefined))).toEqual({
      'stock:left': 8,
      'stock:initial': 10,
      'len:customers': 4,
      'rejections:closed': 0,
      'rejections:duplicate': 1,
      'rejections:sold_out': 0,
    });
  });

  it('turns counter deltas into per-second rates by Redis time, and adds percentiles when given', () => {
    const second = sample(12_000, { completed: 6, closed: 1, duplicate: 1, sold_out: 1 }, 150);
    expect(byKey(salePoints(keys, second, first, { p50: 3, p95: 9, p99: 20 }))).toMatchObject({
      'enqueue:customers': 25,
      'rate:completed': 2,
      'rate:rejected': 1,
      'rate:decisions': 3,
      'latency:p50': 3,
      'latency:p95': 9,
      'latency:p99': 20,
    });
  });

  it('counts from zero after a reset (the sale reconfigured, a stream recreated)', () => {
    const reset = sample(11_000, { completed: 1, closed: 0, duplicate: 0, sold_out: 0 }, 5);
    expect(byKey(salePoints(keys, reset, first, undefined))).toMatchObject({
      'enqueue:customers': 5,
      'rate:completed': 1,
    });
  });
});
