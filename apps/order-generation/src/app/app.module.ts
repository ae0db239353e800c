import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LiveSales, streamsOf } from '@popup-store/gears-client';
import { producerContracts } from '@popup-store/keys';
import {
  RedisStreamsClient,
  RedisStreamsClientModule,
  STREAMS_SERVER,
  StreamsHealthController,
  type RedisStreamsServer,
} from '@popup-store/streams-transport';
import { LoggerModule } from 'nestjs-pino';
import { CustomerEntriesController, ORDERS_CLIENT } from '../orders/customer-entries.controller';
import type { OrderGenerationConfig } from './order-generation-config';

@Module({})
export class AppModule {
  static register(config: OrderGenerationConfig, server: RedisStreamsServer): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL, autoLogging: false } }),
        TerminusModule,
        RedisStreamsClientModule.register({
          name: ORDERS_CLIENT,
          connection: config,
          streams: producerContracts('order-generation'),
        }),
      ],
      controllers: [CustomerEntriesController, StreamsHealthController],
      providers: [
        { provide: STREAMS_SERVER, useValue: server },
        {
          // The sales whose customers it reads; the registry is read on the orders client's connection.
          provide: LiveSales,
          inject: [ORDERS_CLIENT],
          useFactory: async (orders: RedisStreamsClient) =>
            new LiveSales({
              redis: await orders.connect(),
              service: 'order-generation',
              defaultSaleId: config.SALE_ID,
              work: [streamsOf(server, 'order-generation')],
              logger: new Logger(LiveSales.name),
            }),
        },
      ],
    };
  }
}
