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
export type DecodedEntry<T = unknown> =
  | { ok: true; data: T; fields: Record<string, string>; carrier: TraceCarrier }
  | { ok: false; error: string; fields: Record<string, string>; carrier: TraceCarrier };

// A W3C traceparent is 55 characters and a tracestate at most 32 list members: anything far longer is not one.
const MAX_TRACE_FIELD = 512;

/** Largest `data` field written or accepted by default, in UTF-8 bytes. */
export const DEFAULT_MAX_DATA_BYTES = 65_536;

/** The field names of an entry: the one place they are spelled (Lua's gears/src/includes/stream_entry.lua aside). */
export const ENTRY_FIELDS = { version: 'v', data: 'data', traceparent: 'traceparent', tracestate: 'tracestate' } as const;

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
  const { fields, duplicate } = toRecord(flat);
  const carrier = traceCarrier(fields);
  const fail = (error: string): DecodedEntry<never> => ({ ok: false, error, fields, carrier });
  if (duplicate !== undefined) return fail(`field "${duplicate}" appears more than once`);
  const { [ENTRY_FIELDS.version]: version, [ENTRY_FIELDS.data]: data } = fields;
  if (version === undefined) return fail('missing field "v"');
  if (data === undefined) return fail('missing field "data"');
  if (version !== String(contract.version)) {
    return fail(`unsupported version "${version.slice(0, 32)}": contract ${contract.name} is v${contract.version}`);
  }
  if (exceeds(data, maxDataBytes)) return fail(`data is over the ${maxDataBytes}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    return fail(`data is not JSON: ${(error as Error).message}`);
  }
  const parsed = contract.schema.safeParse(json);
  if (!parsed.success) {
    return fail(
      `data breaks contract ${contract.name} v${contract.version}: ${describeIssues(parsed.error).join('; ')}`,
    );
  }
  return { ok: true, data: parsed.data as ContractPayload<C>, fields, carrier };
}

function toRecord(flat: FlatFields): { fields: Record<string, string>; duplicate?: string } {
  // No prototype: an entry may well have a field named "__proto__".
  const fields: Record<string, string> = Object.create(null);
  let duplicate: string | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i];
    if (name in fields) duplicate ??= name;
    else fields[name] = flat[i + 1];
  }
  return { fields, duplicate };
}

function traceCarrier(fields: Record<string, string>): TraceCarrier {
  const carrier: TraceCarrier = {};
  const { traceparent, tracestate } = fields;
  if (traceparent !== undefined && traceparent.length <= MAX_TRACE_FIELD) carrier.traceparent = traceparent;
  if (tracestate !== undefined && tracestate.length <= MAX_TRACE_FIELD) carrier.tracestate = tracestate;
  return carrier;
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
