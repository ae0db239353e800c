import type { Redis } from 'ioredis';

type Entry = [id: string, fields: string[]];

/** Every entry of a stream, read in chunks so a big stream does not make one huge reply. */
export async function* streamEntries(redis: Redis, stream: string, chunk = 10_000): AsyncGenerator<Entry> {
  let from = '-';
  for (;;) {
    const entries = (await redis.xrange(stream, from, '+', 'COUNT', chunk)) as Entry[];
    yield* entries;
    if (entries.length < chunk) return;
    from = `(${(entries[entries.length - 1] as Entry)[0]}`;
  }
}

/** The JSON payload of an entry (field `data`, as every stream of the store and of the baselines carries it). */
export function entryData(fields: readonly string[]): Record<string, unknown> {
  const at = fields.indexOf('data');
  return at >= 0 && at % 2 === 0 ? (JSON.parse(fields[at + 1] as string) as Record<string, unknown>) : {};
}

/** Entries ever added to a stream (XINFO STREAM `entries-added`, Redis 7+), whatever was deleted since; 0 if none. */
export async function entriesAdded(redis: Redis, stream: string): Promise<number> {
  const info = (await redis.xinfo('STREAM', stream).catch(() => null)) as unknown[] | null;
  if (!info) return 0;
  const at = info.indexOf('entries-added');
  if (at < 0) throw new Error('XINFO STREAM has no entries-added: the bench needs Redis 7 or later');
  return Number(info[at + 1]);
}
