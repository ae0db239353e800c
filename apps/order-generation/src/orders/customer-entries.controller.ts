import { Controller, Inject } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import { context } from '@opentelemetry/api';
import type { Order } from '@popup-store/contracts';
import { saleKeys, type StreamName } from '@popup-store/keys';
import { BatchEventPattern, RedisStreamsClient, type RedisStreamsBatchContext } from '@popup-store/streams-transport';
import { extractTraceContext } from '@popup-store/telemetry';
import { lastValueFrom } from 'rxjs';

export const ORDERS_CLIENT = Symbol('OrdersClient');

const CUSTOMERS: StreamName = 'customers';

/**
 * Turns each read of a sale's customers stream into orders on that sale's orders stream. The transport reads the
 * customers stream of every sale this service serves (LiveSales) and tells which sale a read came from.
 */
@Controller()
export class CustomerEntriesController {
  constructor(@Inject(ORDERS_CLIENT) private readonly orders: RedisStreamsClient) {}

  /**
   * Acked only once every order of the batch is written: a crash in between re-delivers the batch, and the
   * gears decide a re-written order (same order id) only once.
   */
  @BatchEventPattern(CUSTOMERS)
  async generate(@Ctx() batch: RedisStreamsBatchContext): Promise<void> {
    const sale = saleKeys(batch.getSource());
    const orderedAt = Date.now();
    const messages = batch.getMessages();
    const orders = messages.map((message): Order => {
      const customer = message.data as Pick<Order, 'orderId' | 'customerId' | 'submittedAt'>;
      return { ...customer, orderedAt, customerEntryId: message.id };
    });
    // Untraced customers (no tracing at intake) need no context each: one batch write, no emit per order,
    // which is most of this service's cost per order. Each order is made of a customer entry the transport
    // validated, this process's clock and the entry's id: it is not parsed against the contract again.
    if (messages.every((message) => !message.carrier.traceparent)) {
      await this.orders.emitBatch(sale.orders, orders, { trusted: true });
      return;
    }
    // Each order continues its customer's trace; the emits of this turn still share one pipeline.
    await Promise.all(
      messages.map((message, index) =>
        context.with(extractTraceContext(message.carrier), () =>
          lastValueFrom(this.orders.emit(sale.orders, orders[index])),
        ),
      ),
    );
  }
}
