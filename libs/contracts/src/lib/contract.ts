import { z } from 'zod';

/** What a stream carries: a payload schema and the version every entry states in its `v` field. */
export interface Contract<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly version: number;
  readonly schema: Schema;
}

/** The payload type a contract validates. */
export type ContractPayload<C extends Contract> = z.output<C['schema']>;

/** Declares a contract; the version goes up whenever the schema stops accepting what it accepted before. */
export function defineContract<Schema extends z.ZodType>(
  name: string,
  version: number,
  schema: Schema,
): Contract<Schema> {
  if (!Number.isInteger(version) || version < 1)
    throw new Error(`contract ${name}: version must be a positive integer`);
  return Object.freeze({ name, version, schema });
}

/**
 * Field schemas the contracts share. Every string is bounded so a single entry stays small whatever a writer
 * sends; ids use a character set that is safe inside Redis keys and log lines.
 */
export const field = {
  /** A ticket or order id: visible ASCII, no spaces. */
  orderId: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\x21-\x7E]+$/, 'visible ASCII characters only'),
  customerId: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.:@-]+$/, 'letters, digits and _ . : @ - only'),
  /** Milliseconds since the epoch, as an integer (Lua's cjson writes integers up to 14 digits exactly). */
  epochMs: z.int().min(0).max(99_999_999_999_999),
  /** A Redis stream entry id, `<ms>-<seq>`. */
  streamId: z
    .string()
    .max(41)
    .regex(/^\d{1,20}-\d{1,20}$/, 'a stream id <ms>-<seq>'),
};
