import { saleReportContract, type SaleReport } from '@popup-store/contracts';
import { renderReport } from './report-view';
import type { SaleOutcome } from './sale-outcome';

const report: SaleReport = saleReportContract.schema.parse({
  saleId: 'popup',
  stock: 10_000,
  left: 0,
  sold: 10_000,
  oversold: 0,
  duplicates: 0,
  lost: 0,
  outsideWindow: 0,
  accepted: 13_912,
  decided: 13_912,
  pending: 0,
  deadLettered: 0,
  rejected: { closed: 0, duplicate: 1_187, sold_out: 2_725 },
  latencyMs: {
    completion: { p50: 41, p95: 180.4, p99: 251, max: 612, count: 10_000 },
    decision: { p50: 43, p95: 190, p99: 262.7, max: 640, count: 13_912 },
  },
  startsAt: 1_764_000_000_000,
  endsAt: 1_764_000_600_000,
  soldOutAt: 1_764_000_008_412,
  timeToSellOutMs: 8_412,
  ok: true,
  violations: [],
  reportedAt: 1_764_000_012_000,
});

const outcome: SaleOutcome = {
  report,
  lostTickets: 0,
  crowd: {
    customers: 15_000,
    orders: 16_667,
    sent: 17_020,
    answered: 16_667,
    retries: 353,
    networkErrors: 0,
    statuses: { '202': 13_912, '409': 402, '410': 2_353, '418': 1 },
    latencyMs: { p50: 2.41, p95: 9.8, p99: 31.2, max: 140.5 },
    responseMs: { p50: 2.1, p95: 8.2, p99: 30.5, max: 139, count: 17_020 },
    durationMs: 4_170,
    answersPerSecond: 3_997,
    acceptedCount: 13_912,
  },
  tickets: ['t-1'],
  restarts: { 'customer-intake': 0, 'fulfilment-auditing': 1 },
  elapsedMs: 31_400,
};

/** The row of a label, spaces squeezed. */
const row = (table: string, label: string) =>
  table
    .split('\n')
    .find((line) => line.trimStart().startsWith(label))
    ?.replace(/\s+/g, ' ')
    .trim();

describe('renderReport', () => {
  it('shows sales, refusals by reason, invariants, latency and the crowd', () => {
    const table = renderReport([outcome]);
    expect(row(table, 'units sold')).toBe('units sold 10,000 of 10,000 (0 left)');
    expect(row(table, 'time to sell out')).toBe('time to sell out 8.4 s');
    expect(row(table, 'rejected: sold out')).toBe('rejected: sold out 2,725');
    expect(row(table, 'rejected: already bought')).toBe('rejected: already bought 1,187');
    expect(row(table, 'oversold')).toBe('oversold 0 ok');
    expect(row(table, 'lost (auditor)')).toBe('lost (auditor) 0 ok');
    expect(row(table, 'lost tickets (crowd)')).toBe('lost tickets (crowd) 0 ok');
    expect(row(table, 'decision latency')).toBe('decision latency p50 43 ms p95 190 ms p99 263 ms max 640 ms');
    expect(row(table, 'answers')).toBe('answers 202 ticket 13,912, 409 already bought 402, 410 sold out 2,353, 418 1');
    expect(row(table, 'HTTP latency')).toBe('HTTP latency p50 2.4 ms p95 9.8 ms p99 31 ms max 141 ms');
    expect(row(table, 'fulfilment-auditing')).toBe('fulfilment-auditing 1 restarts');
    expect(table.trimEnd().endsWith('Every invariant held (31.4 s).')).toBe(true);
  });

  it('says when stock was left, and names every failed invariant', () => {
    const table = renderReport([
      {
        ...outcome,
        report: { ...report, left: 3, sold: 9_997, timeToSellOutMs: null, lost: 2, ok: false, violations: ['2 lost'] },
        lostTickets: 1,
      },
    ]);
    expect(row(table, 'time to sell out')).toBe('time to sell out did not sell out');
    expect(row(table, 'lost (auditor)')).toBe('lost (auditor) 2 FAILED');
    expect(table).toContain('FAILED in 31.4 s:');
    expect(table).toContain('  - the auditor found violations: 2 lost');
    expect(table).toContain('  - lost = 2, must be 0');
    expect(table).toContain('  - lostTickets = 1, must be 0');
    expect(table).not.toContain('Every invariant held');
  });

  it('shows each of several sales, their total, and names the sale of a failed invariant', () => {
    const second: SaleOutcome = {
      ...outcome,
      report: {
        ...report,
        saleId: 'popup-2',
        sold: 9_999,
        left: 1,
        oversold: 1,
        ok: false,
        violations: ['1 oversold'],
      },
    };
    const table = renderReport([{ ...outcome, report: { ...report, saleId: 'popup-1' } }, second]);
    expect(table).toContain('\nSale popup-1\n');
    expect(table).toContain('\nSale popup-2\n');
    const total = table.slice(table.indexOf('All 2 sales'));
    expect(row(total, 'units sold')).toBe('units sold 19,999 of 20,000');
    expect(row(total, 'oversold')).toBe('oversold 1 FAILED');
    expect(row(total, 'answers')).toBe('answers 202 ticket 27,824, 409 already bought 804, 410 sold out 4,706, 418 2');
    expect(table).toContain('  - popup-2: the auditor found violations: 1 oversold');
    expect(table).toContain('  - popup-2: oversold = 1, must be 0');
    expect(table).not.toContain('popup-1: ');
  });
});
