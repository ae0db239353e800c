import type { Contract, ContractPayload } from '@popup-store/contracts';
import { ContractViolationError, decodeEntry, type DecodedEntry, type FlatFields } from './codec';
import type { RedisClient } from './connection';

export interface ReadRecordsOptions {
  /** First id (inclusive), `-` by default. */
  readonly from?: string;
  /** Last id (inclusive), `+` by default. */
  readonly to?: string;
  /** Entries per XRANGE, 1000 by default: memory stays bounded whatever the stream's length. */
  readonly pageSize?: number;
  /** Largest `data` accepted, in UTF-8 bytes. Default 65536. */
  readonly maxDataBytes?: number;
}

/** One entry of a stream as read outside a consumer group: its id and what the codec made of it. */
export type StreamRecord<T> = DecodedEntry<T> & { readonly id: string };

/**
 * Every entry of a stream in id order, decoded against its contract, one XRANGE page at a time: for readers
 * outside a consumer group (reports, checks, specs). Malformed entries come back with their cause (`ok: false`),
 * as a consumer group would dead-letter them; `for await … if (record.ok)` keeps the payloads.
 */
export async function* readRecords<C extends Contract>(
  redis: RedisClient,
  stream: string,
  contract: C,
  options: ReadRecordsOptions = {},
): AsyncGenerator<StreamRecord<ContractPayload<C>>> {
  const { to = '+', pageSize = 1000, maxDataBytes } = options;
  let from = options.from ?? '-';
  for (;;) {
    const page = (await redis.xrange(stream, from, to, 'COUNT', pageSize)) as Array<[string, FlatFields]>;
    for (const [id, fields] of page) yield Object.assign(decodeEntry(contract, fields, maxDataBytes), { id });
    if (page.length < pageSize) return;
    from = `(${page[page.length - 1][0]}`;
  }
}

export interface ReadPayloadsOptions extends ReadRecordsOptions {
  /**
   * A malformed entry throws a ContractViolationError naming it, instead of being left out: for checks and specs,
   * where an entry that breaks its contract is itself the finding.
   */
  readonly strict?: boolean;
}

/** The valid payloads of a stream, in id order (see readRecords); what breaks the contract is left out. */
export async function readPayloads<C extends Contract>(
  redis: RedisClient,
  stream: string,
  contract: C,
  options: ReadPayloadsOptions = {},
): Promise<Array<ContractPayload<C>>> {
  const payloads: Array<ContractPayload<C>> = [];
  for await (const record of readRecords(redis, stream, contract, options)) {
    if (record.ok) payloads.push(record.data);
    else if (options.strict)
      throw new ContractViolationError(stream, contract, [`entry ${record.id}: ${record.error}`]);
  }
  return payloads;
}
