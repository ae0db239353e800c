import { Controller } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import type { Order } from '@popup-store/contracts';
import { orderToDecide } from '@popup-store/gears-client';
import { ConsumerGroup, saleKeys, type StreamName } from '@popup-store/keys';
import { BatchEventPattern, type RedisStreamsBatchContext } from '@popup-store/streams-transport';
import { SalesGears } from '../app/audit-connections';
import { traceDecisions } from './decision-spans';

const ORDERS: StreamName = 'orders';

/**
 * The completion trigger: every read of the orders stream is decided with one FCALL popup_decide_orders inside
 * Redis, which acknowledges and deletes the entries in the same atomic call as their decisions, so the transport
 * never acks them (`acknowledgedBy: 'handler'`). A batch whose call fails stays pending and is delivered again;
 * its second decision is a replay that changes nothing, so an order is decided exactly once. The transport reads
 * the orders stream of every sale this service serves, and tells which sale a read came from.
 */
@Controller()
export class OrdersController {
  constructor(private readonly gears: SalesGears) {}

  @BatchEventPattern(ORDERS, { acknowledgedBy: 'handler' })
  async decide(@Ctx() batch: RedisStreamsBatchContext): Promise<void> {
    const sale = saleKeys(batch.getSource());
    // The transport decoded and validated each entry against the order contract: no second parse here.
    const orders = batch
      .getMessages()
      .map((message) => orderToDecide(message.id, message.data as Order, message.carrier));
    const decided = await this.gears.of(sale).decide(orders, ConsumerGroup.fulfilment);
    traceDecisions(sale.orders, ConsumerGroup.fulfilment, decided);
  }
}
