import type { RoomStatus, SaleGears, SaleStatus } from '@popup-store/gears-client';
import { deadLetterStream, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';

/** A stream of the sale, by the name its series and metrics give it (`customers`, `orders:dead-letter`, …). */
export interface SampledStream {
  readonly name: string;
  readonly key: string;
}

export interface StreamSample {
  /** Entries in the stream now. */
  readonly length: number;
  /** Every entry ever added, deleted ones included (XINFO STREAM `entries-added`, Redis 7+); undefined before 7. */
  readonly entriesAdded: number | undefined;
}

/** The sale at one moment. */
export interface SaleSample {
  readonly status: SaleStatus;
  /** The waiting room's figures (docs/waiting-room.md). */
  readonly room: RoomStatus;
  /** By stream name. */
  readonly streams: Readonly<Record<string, StreamSample>>;
  /** When it was read, by the local clock (`status.now` is Redis's). */
  readonly readAt: number;
}

/** The four streams of a sale and their dead-letter streams. */
export function sampledStreams(sale: SaleKeys): SampledStream[] {
  const streams = {
    customers: sale.customers,
    orders: sale.orders,
    completed: sale.completed,
    rejected: sale.rejected,
  };
  return Object.entries(streams).flatMap(([name, key]) => [
    { name, key },
    { name: `${name}:dead-letter`, key: deadLetterStream(key) },
  ]);
}

/** Reads the sale's and the waiting room's status and every stream's length and entries-added, sent together. */
export async function readSample(
  redis: Redis,
  gears: SaleGears,
  streams: readonly SampledStream[],
): Promise<SaleSample> {
  const infos = redis.pipeline();
  for (const { key } of streams) infos.xinfo('STREAM', key);
  const [status, room, replies] = await Promise.all([gears.status(), gears.roomStatus(), infos.exec()]);
  const sampled: Record<string, StreamSample> = {};
  streams.forEach(({ name }, i) => {
    const [error, reply] = replies?.[i] ?? [new Error('no reply')];
    // A stream nobody wrote to yet (a dead-letter stream, usually) does not exist: it is empty.
    if (error && /no such key/i.test(error.message)) sampled[name] = { length: 0, entriesAdded: 0 };
    else if (error) throw error;
    else sampled[name] = streamSample(reply as unknown[]);
  });
  return { status, room, streams: sampled, readAt: Date.now() };
}

function streamSample(flat: unknown[]): StreamSample {
  const field = (name: string) => {
    const i = flat.indexOf(name);
    return i < 0 ? undefined : Number(flat[i + 1]);
  };
  return { length: field('length') ?? 0, entriesAdded: field('entries-added') };
}
