import { customerContract } from '@popup-store/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/**
 * `POST /api/orders`: the customer is the signed-in one, so the body may be empty (no body at all, or `{}`);
 * a `customerId` in it must be the token's `sub`.
 */
export class OrderRequestDto extends createZodDto(
  z.preprocess(
    (body) => body ?? {},
    z.strictObject({ customerId: customerContract.schema.shape.customerId.optional() }),
  ),
) {}

/** A ticket is an id intake handed out: the same rules as the stream's order ids. */
export const ticketId = customerContract.schema.shape.orderId;

/** `Idempotency-Key`: what Stripe and the IETF draft allow in practice, bounded so a Redis key stays small. */
export const idempotencyKeyHeader = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits and _ . : - only, at most 128');
