import { z } from 'zod';
import { defineContract, field, type ContractPayload } from './contract';

/** Why an order got no unit. */
export const rejectionReasons = ['closed', 'duplicate', 'sold_out'] as const;

/** An order that got no unit: written by the gears Lua function to the rejected stream. */
export const rejectionContract = defineContract(
  'rejection',
  1,
  z.strictObject({
    orderId: field.orderId,
    customerId: field.customerId,
    reason: z.enum(rejectionReasons),
    submittedAt: field.epochMs,
    decidedAt: field.epochMs,
  }),
);

export type Rejection = ContractPayload<typeof rejectionContract>;
