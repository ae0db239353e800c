import type { Contract, ContractPayload } from '@popup-store/contracts';
import type { TraceCarrier } from '@popup-store/telemetry';
import type { z } from 'zod';

/** An entry's fields as Redis returns them: name, value, name, value… */
export type FlatFields = string[];

/** An entry as XREADGROUP and XAUTOCLAIM return it. */
export type RawEntry = [id: string, fields: FlatFields | null];

/** A payload refused before it was written: it breaks the stream's contract or the size limit. */
export class ContractViolationError extends Error {
  constructor(
    readonly stream: string,
    readonly contract: Contract,
    readonly problems: readonly string[],
  ) {
    super(
      `payload for stream "${stream}" breaks contract ${contract.name} v${contract.version}: ${problems.join('; ')}`,
    );
    this.name = 'ContractViolationError';
  }
}

/** A decoded entry: its payload, or why it is not one (the `error` its dead letter states). */
export type DecodedEntry<T = unknown> = DecodedPayload<T> | MalformedEntry;

/**
 * What every decoded entry has: its fields by name, made on first use only (a dead letter, `getFields()`): a
 * handler that takes the payload never pays for them. Null-prototype, so a field named "__proto__" stays a field.
 */
abstract class EntryFields {
  // TypeScript's `private`, not `#`: the apps' build lowers `#` fields to a WeakMap each, whose entries cost the
  // collector more than the record they spare.
  private byName: Record<string, string> | undefined;

  constructor(
    private readonly flat: FlatFields,
    /** The entry's trace context, as far as it is well-formed. */
    readonly carrier: TraceCarrier,
  ) {}

  /** The entry's fields as written (`v`, `data`, `traceparent`, …); of a duplicated name, the first value. */
  get fields(): Record<string, string> {
    if (this.byName) return this.byName;
    const flat = this.flat;
    const fields: Record<string, string> = Object.create(null);
    for (let i = 0; i + 1 < flat.length; i += 2) if (!(flat[i] in fields)) fields[flat[i]] = flat[i + 1];
    return (this.byName = fields);
  }
}

/** An entry whose payload its contract accepts. */
export class DecodedPayload<T = unknown> extends EntryFields {
  readonly ok = true;

  constructor(
    flat: FlatFields,
    carrier: TraceCarrier,
    readonly data: T,
  ) {
    super(flat, carrier);
  }
}

/** An entry that is not a payload of its contract, and why. */
export class MalformedEntry extends EntryFields {
  readonly ok = false;

  constructor(
    flat: FlatFields,
    carrier: TraceCarrier,
    readonly error: string,
  ) {
    super(flat, carrier);
  }
}

// A W3C traceparent is 55 characters and a tracestate at most 32 list members: anything far longer is not one.
const MAX_TRACE_FIELD = 512;

/** Largest `data` field written or accepted by default, in UTF-8 bytes. */
export const DEFAULT_MAX_DATA_BYTES = 65_536;

/** The field names of an entry: the one place they are spelled (Lua's gears/src/includes/stream_entry.lua aside). */
export const ENTRY_FIELDS = {
  version: 'v',
  data: 'data',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

export interface EncodeOptions {
  /** The stream written to, named in a ContractViolationError. */
  readonly stream?: string;
  /** Largest `data`, in UTF-8 bytes. Default 65536. */
  readonly maxDataBytes?: number;
  /** Trace context to carry (`traceparent`, `tracestate`). */
  readonly carrier?: TraceCarrier;
  /**
   * The payload was built by this process from values already validated (say, an order made of a decoded
   * customer entry): it is not parsed against the schema again, only serialised and size-checked.
   */
  readonly trusted?: boolean;
}

/**
 * The fields of an entry for `payload`: `v`, `data` (the validated payload as JSON), then `traceparent` and
 * `tracestate` when the carrier has them. Throws ContractViolationError, so nothing invalid is ever written.
 */
export function encodeEntry<C extends Contract>(
  contract: C,
  payload: ContractPayload<C>,
  options: EncodeOptions = {},
): FlatFields {
  const { stream = '(unnamed)', maxDataBytes = DEFAULT_MAX_DATA_BYTES, carrier = {}, trusted = false } = options;
  let value: unknown = payload;
  if (!trusted) {
    const parsed = contract.schema.safeParse(payload);
    if (!parsed.success) throw new ContractViolationError(stream, contract, describeIssues(parsed.error));
    value = parsed.data;
  }
  const data = JSON.stringify(value);
  if (exceeds(data, maxDataBytes)) {
    throw new ContractViolationError(stream, contract, [`data is over the ${maxDataBytes}-byte limit`]);
  }
  return entryFields(contract, data, carrier);
}

/**
 * The fields of an entry whose `data` is given as text, unchecked: for data serialised elsewhere, and for specs
 * that write what a hostile or broken producer would (`entryFields(orderContract, 'not json')`).
 */
export function entryFields(contract: Contract, data: string, carrier: TraceCarrier = {}): FlatFields {
  const fields = [ENTRY_FIELDS.version, String(contract.version), ENTRY_FIELDS.data, data];
  addTraceContext(fields, carrier);
  return fields;
}

/** Appends the carrier's trace-context fields to an encoded entry. */
export function addTraceContext(fields: FlatFields, carrier: TraceCarrier): void {
  if (carrier.traceparent) fields.push(ENTRY_FIELDS.traceparent, carrier.traceparent);
  if (carrier.tracestate) fields.push(ENTRY_FIELDS.tracestate, carrier.tracestate);
}

/**
 * Reads an entry written by encodeEntry or by Lua (which writes the same `v` and `data` fields and nothing else is
 * required). Never throws: a malformed entry comes back with the reason, the cause its dead letter states.
 */
export function decodeEntry<C extends Contract>(
  contract: C,
  flat: FlatFields,
  maxDataBytes = DEFAULT_MAX_DATA_BYTES,
): DecodedEntry<ContractPayload<C>> {
  // One pass over the flat fields, no object made of them: this runs for every entry every consumer reads.
  let version: string | undefined;
  let data: string | undefined;
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  const duplicate = duplicateName(flat);
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const value = flat[i + 1];
    switch (flat[i]) {
      case ENTRY_FIELDS.version:
        version ??= value;
        break;
      case ENTRY_FIELDS.data:
        data ??= value;
        break;
      case ENTRY_FIELDS.traceparent:
        traceparent ??= value;
        break;
      case ENTRY_FIELDS.tracestate:
        tracestate ??= value;
        break;
    }
  }
  const carrier: TraceCarrier = {};
  if (traceparent !== undefined && traceparent.length <= MAX_TRACE_FIELD) carrier.traceparent = traceparent;
  if (tracestate !== undefined && tracestate.length <= MAX_TRACE_FIELD) carrier.tracestate = tracestate;
  const error = malformed(contract, duplicate, version, data, maxDataBytes);
  if (error !== undefined) return new MalformedEntry(flat, carrier, error);
  let json: unknown;
  try {
    json = JSON.parse(data as string);
  } catch (error) {
    return new MalformedEntry(flat, carrier, `data is not JSON: ${(error as Error).message}`);
  }
  const parsed = contract.schema.safeParse(json);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error).join('; ');
    return new MalformedEntry(flat, carrier, `data breaks contract ${contract.name} v${contract.version}: ${problems}`);
  }
  return new DecodedPayload(flat, carrier, parsed.data as ContractPayload<C>);
}

/** Why an entry's fields cannot hold a payload of the contract, before its data is parsed; undefined if they can. */
function malformed(
  contract: Contract,
  duplicate: string | undefined,
  version: string | undefined,
  data: string | undefined,
  maxDataBytes: number,
): string | undefined {
  if (duplicate !== undefined) return `field "${duplicate}" appears more than once`;
  if (version === undefined) return 'missing field "v"';
  if (data === undefined) return 'missing field "data"';
  if (version !== String(contract.version)) {
    return `unsupported version "${version.slice(0, 32)}": contract ${contract.name} is v${contract.version}`;
  }
  if (exceeds(data, maxDataBytes)) return `data is over the ${maxDataBytes}-byte limit`;
  return undefined;
}

// Up to this many fields, names are compared pairwise (an entry has 2 to 4); beyond, a Set keeps it linear.
const PAIRWISE_FIELDS = 8;

/** The first field name that appears twice, if any. */
function duplicateName(flat: FlatFields): string | undefined {
  if (flat.length <= 2 * PAIRWISE_FIELDS) {
    for (let i = 2; i + 1 < flat.length; i += 2) {
      for (let j = 0; j < i; j += 2) if (flat[j] === flat[i]) return flat[i];
    }
    return undefined;
  }
  const seen = new Set<string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (seen.has(flat[i])) return flat[i];
    seen.add(flat[i]);
  }
  return undefined;
}

/** Whether a string's UTF-8 form is over `maxBytes`, without encoding it when its length already tells. */
function exceeds(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text) > maxBytes;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
}
