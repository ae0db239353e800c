import { z } from 'zod';
import { defineContract, field, type ContractPayload } from './contract';

/** An order to decide: written by order-generation to the orders stream. */
export const orderContract = defineContract(
  'order',
  1,
  z.strictObject({
    orderId: field.orderId,
    customerId: field.customerId,
    submittedAt: field.epochMs,
    orderedAt: field.epochMs,
    /** The id of the customers-stream entry the order came from, so a replay can be traced to its source. */
    customerEntryId: field.streamId,
  }),
);

export type Order = ContractPayload<typeof orderContract>;
