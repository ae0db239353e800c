import { Controller, Inject, type Type } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import type { Order } from '@popup-store/contracts';
import { orderToDecide, type SaleGears } from '@popup-store/gears-client';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import { BatchEventPattern, type RedisStreamsBatchContext } from '@popup-store/streams-transport';
import { SALE_GEARS } from '../app/audit-connections';
import { traceDecisions } from './decision-spans';

/**
 * The completion trigger: every read of the orders stream is decided with one FCALL popup_decide_orders inside
 * Redis, which acknowledges and deletes the entries in the same atomic call as their decisions, so the transport
 * never acks them (`acknowledgedBy: 'handler'`). A batch whose call fails stays pending and is delivered again;
 * its second decision is a replay that changes nothing, so an order is decided exactly once. The stream keys carry
 * the sale id, known only at boot, so the handler class is made for its sale.
 */
export function ordersController(sale: SaleKeys): Type<unknown> {
  @Controller()
  class OrdersController {
    constructor(@Inject(SALE_GEARS) private readonly gears: SaleGears) {}

    @BatchEventPattern(sale.orders, { acknowledgedBy: 'handler' })
    async decide(@Ctx() batch: RedisStreamsBatchContext): Promise<void> {
      // The transport decoded and validated each entry against the order contract: no second parse here.
      const orders = batch
        .getMessages()
        .map((message) => orderToDecide(message.id, message.data as Order, message.carrier));
      const decided = await this.gears.decide(orders, ConsumerGroup.fulfilment);
      traceDecisions(sale.orders, ConsumerGroup.fulfilment, decided);
    }
  }
  return OrdersController;
}
