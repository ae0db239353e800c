import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import { OrderDeskService, type OrderStatus, type Ticket } from './order-desk.service';
import { OrderRequestDto, ticketId } from './order-request.dto';
import { CustomerThrottlerGuard } from './customer-throttler.guard';
import { refusal } from './refusal';
import { SALE_DOOR } from './sale-door';
import { RouteConfig } from '@nestjs/platform-fastify';

@Controller('orders')
export class OrdersController {
  constructor(private readonly desk: OrderDeskService) {}

  /** Takes an order: 202 with a ticket to follow; the unit is decided within moments. */
  @Post()
  @RouteConfig(SALE_DOOR)
  @HttpCode(HttpStatus.ACCEPTED)
  @UseGuards(CustomerThrottlerGuard)
  take(@Body() request: OrderRequestDto): Promise<Ticket> {
    return this.desk.take(request.customerId);
  }

  @Get(':id')
  status(@Param('id') id: string): Promise<OrderStatus> {
    if (!ticketId.safeParse(id).success)
      throw refusal(HttpStatus.BAD_REQUEST, 'invalid', 'not a ticket id', {
        field: 'id',
      });
    return this.desk.status(id);
  }
}
