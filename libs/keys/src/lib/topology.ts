import {
  alertContract,
  completionContract,
  customerContract,
  orderContract,
  rejectionContract,
  type Contract,
} from '@popup-store/contracts';
import { ConsumerGroup, type ConsumerGroupName, type SaleKeys } from './sale-keys';

/** The store's services, each run as its own process, in the order they are started. */
export const SERVICES = ['customer-intake', 'order-generation', 'fulfilment-auditing', 'metrics-export'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The streams of a sale: the {@link SaleKeys} fields that are streams. */
export type StreamName = 'customers' | 'orders' | 'completed' | 'rejected' | 'alerts';

/** One consumer group on a stream, and the service whose handlers read it. */
export interface StreamReader {
  readonly group: ConsumerGroupName;
  readonly service: ServiceName;
  /** How it reads, when not by a Nest handler of the streams transport. */
  readonly by?: string;
}

/** One stream of a sale: what it carries, who appends to it, who reads it in which group. */
export interface StreamRoute {
  readonly stream: StreamName;
  readonly contract: Contract;
  readonly writer: ServiceName;
  /** Set when the writer's code does not append itself but the gears' FCALL it makes does, in the same atomic call. */
  readonly throughGears?: true;
  readonly readers: readonly StreamReader[];
}

/**
 * The stream topology of the store, once: services register their handlers and clients from it
 * ({@link readsOf}, {@link producerOf}), the launcher and the bench wait for its groups, and docs/keys.md and
 * deploy's docs are checked against it.
 */
export const TOPOLOGY: readonly StreamRoute[] = [
  {
    stream: 'customers',
    contract: customerContract,
    writer: 'customer-intake',
    readers: [{ group: ConsumerGroup.orderGeneration, service: 'order-generation' }],
  },
  {
    stream: 'orders',
    contract: orderContract,
    writer: 'order-generation',
    readers: [
      {
        group: ConsumerGroup.fulfilment,
        service: 'fulfilment-auditing',
        by: 'the completion trigger; `popup_decide_orders` acknowledges what it decides',
      },
    ],
  },
  {
    stream: 'completed',
    contract: completionContract,
    writer: 'fulfilment-auditing',
    throughGears: true,
    readers: [
      { group: ConsumerGroup.auditing, service: 'fulfilment-auditing' },
      { group: ConsumerGroup.metrics, service: 'metrics-export' },
    ],
  },
  {
    stream: 'rejected',
    contract: rejectionContract,
    writer: 'fulfilment-auditing',
    throughGears: true,
    readers: [{ group: ConsumerGroup.metrics, service: 'metrics-export' }],
  },
  { stream: 'alerts', contract: alertContract, writer: 'fulfilment-auditing', readers: [] },
];

/** A consumer's registration with the streams transport: its group and the streams it reads, with their contracts. */
export interface ConsumerRegistration {
  readonly group: ConsumerGroupName;
  readonly streams: Record<string, Contract>;
}

/**
 * Everything `service` reads, as one streams transport server takes it: its handlers name the streams
 * (`customers`), each with its contract and the group it is read in (a service may read several streams in several
 * groups, as fulfilment-auditing does); {@link saleStreams} gives the keys of those names for one sale.
 */
export function readsOf(
  service: ServiceName,
): ConsumerRegistration & { readonly groups: Record<string, ConsumerGroupName> } {
  const reads = readersOf(service);
  const [first] = reads;
  if (!first) throw new Error(`${service} reads no stream of the topology`);
  return {
    group: first.reader.group,
    groups: Object.fromEntries(reads.map(({ route, reader }) => [route.stream, reader.group])),
    streams: Object.fromEntries(reads.map(({ route }) => [route.stream, route.contract])),
  };
}

/** The keys of the streams `service` reads in `sale`, by stream name: what its streams server reads for the sale. */
export function saleStreams(sale: SaleKeys, service: ServiceName): Record<string, string> {
  return Object.fromEntries(readersOf(service).map(({ route }) => [route.stream, sale[route.stream]]));
}

/** Each stream `service` reads, in which group: what tells whether it has read a sale to its end. */
export function groupsOf(sale: SaleKeys, service: ServiceName): { stream: string; group: ConsumerGroupName }[] {
  return readersOf(service).map(({ route, reader }) => ({ stream: sale[route.stream], group: reader.group }));
}

function readersOf(service: ServiceName) {
  return TOPOLOGY.flatMap((route) =>
    route.readers.filter((reader) => reader.service === service).map((reader) => ({ route, reader })),
  );
}

/**
 * The contracts of the streams `service` appends to itself, as a function of the key, for a streams client that
 * writes to any sale: `{sale:<id>}:<stream>` gets its stream's contract, any other key undefined (refused).
 */
export function producerContracts(service: ServiceName): (key: string) => Contract | undefined {
  const written = new Map(
    TOPOLOGY.filter((route) => route.writer === service && !route.throughGears).map((route) => [
      route.stream as string,
      route.contract,
    ]),
  );
  return (key) => {
    const stream = streamOfKey(key)?.stream;
    return stream ? written.get(stream) : undefined;
  };
}

/** The sale and stream name of a sale stream's key `{sale:<id>}:<stream>`; undefined for any other key. */
export function streamOfKey(key: string): { readonly saleId: string; readonly stream: StreamName } | undefined {
  const match = /^\{sale:([A-Za-z0-9_-]{1,64})\}:([a-z]+)$/.exec(key);
  const route = match && TOPOLOGY.find((candidate) => candidate.stream === match[2]);
  return match && route ? { saleId: match[1], stream: route.stream } : undefined;
}

/** The streams `service` appends to itself (not through the gears), with their contracts, as a streams client takes them. */
export function producerOf(sale: SaleKeys, service: ServiceName): Record<string, Contract> {
  return Object.fromEntries(
    TOPOLOGY.filter((route) => route.writer === service && !route.throughGears).map((route) => [
      sale[route.stream],
      route.contract,
    ]),
  );
}

/** Every consumer group of the sale on its stream key: all exist once every service reads its streams. */
export function consumerGroups(sale: SaleKeys): { stream: string; group: ConsumerGroupName; service: ServiceName }[] {
  return TOPOLOGY.flatMap((route) =>
    route.readers.map(({ group, service }) => ({ stream: sale[route.stream], group, service })),
  );
}

/** What a service reads and writes, in words: `reads customers (group order-generation); writes orders`. */
export function serviceStreams(service: ServiceName): string {
  const reads = TOPOLOGY.flatMap((route) =>
    route.readers
      .filter((reader) => reader.service === service)
      .map((reader) => `${route.stream} (group ${reader.group})`),
  );
  const writes = TOPOLOGY.filter((route) => route.writer === service).map(
    (route) => `${route.stream}${route.throughGears ? ' (through the gears)' : ''}`,
  );
  return [reads.length && `reads ${reads.join(', ')}`, writes.length && `writes ${writes.join(', ')}`]
    .filter(Boolean)
    .join('; ');
}

/** The topology as the markdown table of docs/keys.md (columns padded as prettier pads them). */
export function topologyMarkdown(): string {
  const rows = TOPOLOGY.map((route) => [
    `\`{sale:<id>}:${route.stream}\``,
    `\`${route.contract.name}\` v${route.contract.version}`,
    route.throughGears ? `${route.writer}, through \`popup_decide_orders\`` : route.writer,
    route.readers
      .map((reader) => `${reader.service} (group \`${reader.group}\`${reader.by ? `: ${reader.by}` : ''})`)
      .join(', ') || 'operators',
  ]);
  return markdownTable(['stream', 'contract', 'written by', 'read by'], rows);
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
