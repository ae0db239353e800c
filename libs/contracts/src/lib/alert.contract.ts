import { z } from 'zod';
import { defineContract, field, type ContractPayload } from './contract';

const MAX_DETAILS = 32;

/** Something an operator must look at: written by fulfilment-auditing to the alerts stream. */
export const alertContract = defineContract(
  'alert',
  1,
  z.strictObject({
    kind: z.string().min(1).max(64),
    message: z.string().min(1).max(1024),
    at: field.epochMs,
    details: z
      .record(z.string().max(64), z.unknown())
      .refine((details) => Object.keys(details).length <= MAX_DETAILS, `at most ${MAX_DETAILS} details`)
      .optional(),
  }),
);

export type Alert = ContractPayload<typeof alertContract>;
