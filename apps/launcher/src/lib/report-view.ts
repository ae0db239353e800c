import { failedInvariants, type SaleOutcome } from './sale-outcome';

type Row = readonly [label: string, value: string, check?: string];

/** What customer-intake's answers mean to a customer. */
const STATUS_MEANING: Record<string, string> = {
  '202': 'ticket',
  '409': 'already bought',
  '410': 'sold out',
  '423': 'not open',
  '429': 'busy',
  '503': 'unavailable',
};

/**
 * The outcome of the sales of one launch as a table a person reads at the end of `npm start`: each sale with its
 * crowd, a total when there are several, the services, then every failed invariant named with its sale.
 */
export function renderReport(outcomes: readonly SaleOutcome[]): string {
  const sections: Section[] = outcomes.flatMap(saleSections);
  if (outcomes.length > 1) sections.push(totalSection(outcomes));
  const { restarts, elapsedMs } = outcomes[0];
  sections.push(['Services', Object.entries(restarts).map(([name, count]): Row => [name, `${count} restarts`])]);
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([label]) => label.length)));
  const lines = sections.flatMap(([title, rows]) => [
    '',
    title,
    ...rows.map(([label, value, check]) => `  ${label.padEnd(width)}  ${value}${check ? `  ${check}` : ''}`),
  ]);
  const failed = outcomes.flatMap((outcome) =>
    failedInvariants(outcome).map((invariant) =>
      outcomes.length > 1 ? `${outcome.report.saleId}: ${invariant}` : invariant,
    ),
  );
  const held = outcomes.length > 1 ? `Every invariant held in all ${outcomes.length} sales` : 'Every invariant held';
  lines.push(
    '',
    failed.length
      ? `FAILED in ${seconds(elapsedMs)}:\n${failed.map((invariant) => `  - ${invariant}`).join('\n')}`
      : `${held} (${seconds(elapsedMs)}).`,
  );
  return lines.join('\n');
}

type Section = [title: string, rows: Row[]];
const mustBeZero = (count: number): Row[2] => (count === 0 ? 'ok' : 'FAILED');

function saleSections(outcome: SaleOutcome): Section[] {
  const { report, crowd } = outcome;
  const { decision, completion } = report.latencyMs;
  return [
    [
      `Sale ${report.saleId}`,
      [
        ['units sold', `${n(report.sold)} of ${n(report.stock)} (${n(report.left)} left)`],
        ['time to sell out', report.timeToSellOutMs === null ? 'did not sell out' : seconds(report.timeToSellOutMs)],
        [
          'orders accepted',
          `${n(report.accepted)}: ${n(report.decided)} decided, ${n(report.replayed)} replayed, ${n(report.pending)} pending, ` +
            `${n(report.deadLettered)} dead-lettered`,
        ],
        ['rejected: sold out', n(report.rejected.sold_out)],
        ['rejected: already bought', n(report.rejected.duplicate)],
        ['rejected: sale closed', n(report.rejected.closed)],
        ['oversold', n(report.oversold), mustBeZero(report.oversold)],
        ['lost (auditor)', n(report.lost), mustBeZero(report.lost)],
        ['lost tickets (crowd)', n(outcome.lostTickets), mustBeZero(outcome.lostTickets)],
        ['duplicates', n(report.duplicates), mustBeZero(report.duplicates)],
        ['outside the window', n(report.outsideWindow), mustBeZero(report.outsideWindow)],
        ['decision latency', percentiles(decision)],
        ['completion latency', percentiles(completion)],
      ],
    ],
    [
      'Crowd over HTTP',
      [
        [
          'customers, orders',
          `${n(crowd.customers)} customers, ${n(crowd.orders)} orders in ${seconds(crowd.durationMs)}`,
        ],
        ['requests', `${n(crowd.sent)} sent, ${n(crowd.retries)} retries, ${n(crowd.networkErrors)} network errors`],
        ['answers', answers(crowd.statuses)],
        ['HTTP latency', percentiles(crowd.latencyMs)],
        ...(crowd.line
          ? [
              [
                'waiting room',
                `${n(crowd.line.admitted)} admitted; waited p50 ${seconds(crowd.line.p50)}, p99 ${seconds(crowd.line.p99)}`,
              ] as Row,
            ]
          : []),
      ],
    ],
  ];
}

/** The sales added up: what the store sold and turned away, and what every crowd was told. */
function totalSection(outcomes: readonly SaleOutcome[]): Section {
  const total = (of: (outcome: SaleOutcome) => number) => outcomes.reduce((sum, outcome) => sum + of(outcome), 0);
  const statuses: Record<string, number> = {};
  for (const { crowd } of outcomes)
    for (const [status, count] of Object.entries(crowd.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  const oversold = total(({ report }) => report.oversold);
  const lost = total(({ report }) => report.lost);
  const lostTickets = total((outcome) => outcome.lostTickets);
  const duplicates = total(({ report }) => report.duplicates);
  return [
    `All ${outcomes.length} sales`,
    [
      ['units sold', `${n(total(({ report }) => report.sold))} of ${n(total(({ report }) => report.stock))}`],
      [
        'orders accepted',
        `${n(total(({ report }) => report.accepted))}: ${n(total(({ report }) => report.decided))} decided`,
      ],
      ['oversold', n(oversold), mustBeZero(oversold)],
      ['lost (auditor)', n(lost), mustBeZero(lost)],
      ['lost tickets (crowd)', n(lostTickets), mustBeZero(lostTickets)],
      ['duplicates', n(duplicates), mustBeZero(duplicates)],
      ['answers', answers(statuses)],
      ['slowest crowd', seconds(Math.max(...outcomes.map(({ crowd }) => crowd.durationMs)))],
    ],
  ];
}

function answers(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([status, count]) => [status, STATUS_MEANING[status], n(count)].filter(Boolean).join(' '))
    .join(', ');
}

function percentiles(p: { p50: number; p95: number; p99: number; max: number }): string {
  return `p50 ${ms(p.p50)}  p95 ${ms(p.p95)}  p99 ${ms(p.p99)}  max ${ms(p.max)}`;
}

const n = (value: number) => value.toLocaleString('en-US');
const ms = (value: number) => `${value < 10 ? value.toFixed(1) : n(Math.round(value))} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;
