import { Controller, Inject, type Type } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import { context } from '@opentelemetry/api';
import type { Order } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { BatchEventPattern, RedisStreamsClient, type RedisStreamsBatchContext } from '@popup-store/streams-transport';
import { extractTraceContext } from '@popup-store/telemetry';
import { lastValueFrom } from 'rxjs';

export const ORDERS_CLIENT = Symbol('OrdersClient');

/**
 * Turns each read of the customers stream into orders on the orders stream. The stream keys carry the sale id,
 * known only at boot, so the handler class is made for its sale.
 */
export function customerEntriesController(sale: SaleKeys): Type<unknown> {
  @Controller()
  class CustomerEntriesController {
    constructor(@Inject(ORDERS_CLIENT) private readonly orders: RedisStreamsClient) {}

    /**
     * Acked only once every order of the batch is written: a crash in between re-delivers the batch, and the
     * gears decide a re-written order (same order id) only once.
     */
    @BatchEventPattern(sale.customers)
    async generate(@Ctx() batch: RedisStreamsBatchContext): Promise<void> {
      const orderedAt = Date.now();
      await Promise.all(
        batch.getMessages().map((message) => {
          const customer = message.data as Pick<Order, 'orderId' | 'customerId' | 'submittedAt'>;
          const order: Order = { ...customer, orderedAt, customerEntryId: message.id };
          // Each order continues its customer's trace; the emits of this turn still share one pipeline.
          return context.with(extractTraceContext(message.fields), () =>
            lastValueFrom(this.orders.emit(sale.orders, order)),
          );
        }),
      );
    }
  }
  return CustomerEntriesController;
}
