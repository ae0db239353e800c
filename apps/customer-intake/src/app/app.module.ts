import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { saleKeys } from '@popup-store/keys';
import { LoggerModule } from 'nestjs-pino';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { AddressLimitGuard } from '../customers/address-limit.guard';
import { customerTokensProvider } from '../customers/customer-tokens.provider';
import { SignedInGuard } from '../customers/signed-in.guard';
import { RoomAdminController } from '../admin/room-admin.controller';
import { SaleAdminController } from '../admin/sale-admin.controller';
import { HealthController } from '../health/health.controller';
import { HealthListener } from '../health/health-listener';
import { RedisHealthIndicator } from '../health/redis-health.indicator';
import { Throttle } from '../orders/customer-throttler.guard';
import { OrderDeskService } from '../orders/order-desk.service';
import { OrdersController } from '../orders/orders.controller';
import { RefusalFilter } from '../orders/refusal.filter';
import { SaleDoor } from '../orders/sale-door';
import { TicketIds } from '../orders/ticket-ids';
import { ZodErrorsPipe } from '../orders/zod-errors.pipe';
import { SaleController } from '../sale/sale.controller';
import { SaleEventStreams } from '../sale/event-streams';
import { SaleSnapshotService } from '../sale/sale-snapshot.service';
import { AdmissionGuard } from '../queue/admission.guard';
import { AdmissionPasses } from '../queue/admission-passes';
import { QueueController } from '../queue/queue.controller';
import { QueueTokenGuard } from '../queue/queue-token.guard';
import { WaitingRoom } from '../queue/waiting-room.service';
import { BoundedThrottlerStorage } from '../orders/bounded-throttler-storage';
import { INTAKE_CONFIG, SALE_KEYS, type IntakeConfig } from './intake-config';
import { adminRedisProvider, RedisCloser, redisProvider } from './redis.provider';
import { CustomerStreams } from './streams-client.provider';
import { SaleRoster } from '../sales/sale-roster';

@Module({
  controllers: [
    OrdersController,
    SaleController,
    QueueController,
    SaleAdminController,
    RoomAdminController,
    HealthController,
  ],
  providers: [
    AdminTokenGuard,
    customerTokensProvider,
    SignedInGuard,
    AddressLimitGuard,
    TicketIds,
    redisProvider,
    adminRedisProvider,
    CustomerStreams,
    SaleRoster,
    RedisCloser,
    SaleSnapshotService,
    SaleEventStreams,
    HealthListener,
    OrderDeskService,
    SaleDoor,
    RedisHealthIndicator,
    AdmissionPasses,
    WaitingRoom,
    AdmissionGuard,
    QueueTokenGuard,
    { provide: APP_PIPE, useClass: ZodErrorsPipe },
    { provide: APP_FILTER, useClass: RefusalFilter },
  ],
})
export class AppModule {
  static register(config: IntakeConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { level: config.LOG_LEVEL, autoLogging: false },
          // On no route: per request, pino-http made a child logger and serialised the request into it, and the
          // binding middleware ran the rest in an AsyncLocalStorage (with an exclusion list, Nest still runs both
          // wrappers to skip them), for log lines no request writes (with autoLogging off, the one log line of a
          // request is a 500's, which names the request itself: RefusalFilter). The logger itself is kept.
          forRoutes: [],
        }),
        TerminusModule,
        ThrottlerModule.forRoot({
          // One throttler per route (each skips the other's): the key is the throttler's name and the customer as
          // they are; the default key is a sha256 of route and tracker, computed per request.
          throttlers: [
            { name: Throttle.orders, ttl: 1000, limit: config.RATE_LIMIT_PER_SECOND },
            { name: Throttle.polls, ttl: 1000, limit: config.STATUS_POLLS_PER_SECOND },
          ],
          generateKey: (_context, tracker, name) => `${name}:${tracker}`,
          storage: new BoundedThrottlerStorage(config.RATE_LIMIT_TRACKED_CUSTOMERS),
        }),
      ],
      providers: [
        { provide: INTAKE_CONFIG, useValue: config },
        { provide: SALE_KEYS, useValue: saleKeys(config.SALE_ID) },
      ],
    };
  }
}
