import { z } from 'zod';
import { defineContract, field, type ContractPayload } from './contract';

/** Longest original field value a dead letter keeps; longer ones are cut and `truncated` is set. */
export const DEAD_LETTER_VALUE_MAX = 8192;
/** Most original fields a dead letter keeps. */
export const DEAD_LETTER_FIELDS_MAX = 32;
/** Longest error text a dead letter keeps. */
export const DEAD_LETTER_ERROR_MAX = 4096;

/**
 * An entry the transport gave up on (malformed, or failed too many times): written by the transport to the
 * source stream's dead-letter stream, with enough to inspect and replay it.
 */
export const deadLetterContract = defineContract(
  'dead-letter',
  1,
  z.strictObject({
    stream: z.string().min(1).max(512),
    id: field.streamId,
    group: z.string().min(1).max(256),
    consumer: z.string().min(1).max(256),
    error: z.string().max(DEAD_LETTER_ERROR_MAX),
    /** How many times the entry had been delivered, counting the delivery that gave up on it. */
    deliveries: z.int().min(1),
    /** The entry's original fields, as written. */
    fields: z
      .record(z.string().max(256), z.string().max(DEAD_LETTER_VALUE_MAX))
      .refine(
        (fields) => Object.keys(fields).length <= DEAD_LETTER_FIELDS_MAX,
        `at most ${DEAD_LETTER_FIELDS_MAX} fields`,
      ),
    /** Some original fields were cut or left out to keep the dead letter small. */
    truncated: z.boolean(),
    deadAt: field.epochMs,
  }),
);

export type DeadLetter = ContractPayload<typeof deadLetterContract>;
