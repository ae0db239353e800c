import { customerContract } from '@popup-store/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/** `POST /api/orders`: who wants a unit. The customer id follows the customers stream's contract. */
export class OrderRequestDto extends createZodDto(
  z.strictObject({ customerId: customerContract.schema.shape.customerId }),
) {}

/** A ticket is an id intake handed out: the same rules as the stream's order ids. */
export const ticketId = customerContract.schema.shape.orderId;
