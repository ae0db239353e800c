import { z } from 'zod';
import { defineContract, field, type ContractPayload } from './contract';

/** An order that got a unit: written by the gears Lua function to the completed stream. */
export const completionContract = defineContract(
  'completion',
  1,
  z.strictObject({
    orderId: field.orderId,
    customerId: field.customerId,
    /** Which unit of the stock, counted from 1. */
    unit: z.int().min(1),
    submittedAt: field.epochMs,
    completedAt: field.epochMs,
  }),
);

export type Completion = ContractPayload<typeof completionContract>;
