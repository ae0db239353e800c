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

/** The outcome of a sale as a table a person reads at the end of `npm start`. */
export function renderReport(outcome: SaleOutcome): string {
  const { report, crowd } = outcome;
  const mustBeZero = (count: number): Row[2] => (count === 0 ? 'ok' : 'FAILED');
  const { decision, completion } = report.latencyMs;
  const sections: [title: string, rows: Row[]][] = [
    [
      `Sale ${report.saleId}`,
      [
        ['units sold', `${n(report.sold)} of ${n(report.stock)} (${n(report.left)} left)`],
        ['time to sell out', report.timeToSellOutMs === null ? 'did not sell out' : seconds(report.timeToSellOutMs)],
        [
          'orders accepted',
          `${n(report.accepted)}: ${n(report.decided)} decided, ${n(report.pending)} pending, ${n(report.deadLettered)} dead-lettered`,
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
        [
          'answers',
          Object.entries(crowd.statuses)
            .map(([status, count]) => [status, STATUS_MEANING[status], n(count)].filter(Boolean).join(' '))
            .join(', '),
        ],
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
    ['Services', Object.entries(outcome.restarts).map(([name, restarts]): Row => [name, `${restarts} restarts`])],
  ];
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([label]) => label.length)));
  const lines = sections.flatMap(([title, rows]) => [
    '',
    title,
    ...rows.map(([label, value, check]) => `  ${label.padEnd(width)}  ${value}${check ? `  ${check}` : ''}`),
  ]);
  const failed = failedInvariants(outcome);
  lines.push(
    '',
    failed.length
      ? `FAILED in ${seconds(outcome.elapsedMs)}:\n${failed.map((invariant) => `  - ${invariant}`).join('\n')}`
      : `Every invariant held (${seconds(outcome.elapsedMs)}).`,
  );
  return lines.join('\n');
}

function percentiles(p: { p50: number; p95: number; p99: number; max: number }): string {
  return `p50 ${ms(p.p50)}  p95 ${ms(p.p95)}  p99 ${ms(p.p99)}  max ${ms(p.max)}`;
}

const n = (value: number) => value.toLocaleString('en-US');
const ms = (value: number) => `${value < 10 ? value.toFixed(1) : n(Math.round(value))} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;
