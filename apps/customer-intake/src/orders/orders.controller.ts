import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { SkipThrottle } from '@nestjs/throttler';
import type { SaleKeys } from '@popup-store/keys';
import { createHash } from 'node:crypto';
import { AddressLimitGuard } from '../customers/address-limit.guard';
import { SignedIn, SignedInGuard } from '../customers/signed-in.guard';
import { AdmissionGuard } from '../queue/admission.guard';
import { ForSale } from '../sales/request-sale';
import { CustomerThrottlerGuard, Throttle } from './customer-throttler.guard';
import { OrderDeskService, type OrderStatus, type Ticket } from './order-desk.service';
import { idempotencyKeyHeader, OrderRequestDto, ticketId } from './order-request.dto';
import { refusal } from './refusal';
import { SALE_DOOR } from './sale-door';

/** `/api/sales/:sale/orders`, and `/api/orders` for the default sale. */
@Controller(['sales/:sale/orders', 'orders'])
export class OrdersController {
  constructor(private readonly desk: OrderDeskService) {}

  /**
   * Takes the signed-in customer's order: 202 with a ticket to follow; the unit is decided within moments. The
   * sale door refuses (410/423) before any token is verified; then the token, the address's customers, the
   * customer's rate, and while the waiting room is on, the customer's admission pass.
   */
  @Post()
  @RouteConfig(SALE_DOOR)
  @HttpCode(HttpStatus.ACCEPTED)
  @UseGuards(SignedInGuard, AddressLimitGuard, CustomerThrottlerGuard, AdmissionGuard)
  @SkipThrottle({ [Throttle.polls]: true })
  take(
    @ForSale() sale: SaleKeys,
    @SignedIn() customer: string,
    @Body() request: OrderRequestDto,
    @Headers('idempotency-key') key: string | undefined,
  ): Promise<Ticket> {
    if (request.customerId !== undefined && request.customerId !== customer) {
      throw refusal(HttpStatus.BAD_REQUEST, 'customer_mismatch', 'customerId is not the signed-in customer', {
        field: 'customerId',
      });
    }
    if (key === undefined) return this.desk.take(sale, customer);
    if (!idempotencyKeyHeader.safeParse(key).success) {
      throw refusal(
        HttpStatus.BAD_REQUEST,
        'invalid',
        'Idempotency-Key: letters, digits and _ . : - only, at most 128',
        {
          field: 'Idempotency-Key',
        },
      );
    }
    const bodyHash = createHash('sha256').update(JSON.stringify(request)).digest('base64url');
    return this.desk.take(sale, customer, { key, bodyHash });
  }

  /** Where the signed-in customer's order stands; another customer's ticket, or an unknown one, is a 404. */
  @Get(':id')
  @UseGuards(SignedInGuard, CustomerThrottlerGuard)
  @SkipThrottle({ [Throttle.orders]: true })
  status(@ForSale() sale: SaleKeys, @SignedIn() customer: string, @Param('id') id: string): Promise<OrderStatus> {
    if (!ticketId.safeParse(id).success)
      throw refusal(HttpStatus.BAD_REQUEST, 'invalid', 'not a ticket id', {
        field: 'id',
      });
    return this.desk.status(sale, customer, id);
  }
}
