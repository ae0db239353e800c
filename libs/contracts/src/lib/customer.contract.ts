import { z } from 'zod';
import { defineContract, field, type ContractPayload } from './contract';

/** A customer who asked for a unit: written by customer-intake to the customers stream. */
export const customerContract = defineContract(
  'customer',
  1,
  z.strictObject({
    /** The ticket the customer got back from the HTTP request. */
    orderId: field.orderId,
    customerId: field.customerId,
    submittedAt: field.epochMs,
  }),
);

export type Customer = ContractPayload<typeof customerContract>;
