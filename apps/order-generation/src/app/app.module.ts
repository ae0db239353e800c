import { Module, type DynamicModule } from '@nestjs/common';
import { producerOf, type SaleKeys } from '@popup-store/keys';
import { TerminusModule } from '@nestjs/terminus';
import {
  RedisStreamsClientModule,
  STREAMS_SERVER,
  StreamsHealthController,
  type RedisStreamsServer,
} from '@popup-store/streams-transport';
import { LoggerModule } from 'nestjs-pino';
import { customerEntriesController, ORDERS_CLIENT } from '../orders/customer-entries.controller';
import type { OrderGenerationConfig } from './order-generation-config';

@Module({})
export class AppModule {
  static register(config: OrderGenerationConfig, sale: SaleKeys, server: RedisStreamsServer): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL, autoLogging: false } }),
        TerminusModule,
        RedisStreamsClientModule.register({
          name: ORDERS_CLIENT,
          connection: config,
          streams: producerOf(sale, 'order-generation'),
        }),
      ],
      controllers: [customerEntriesController(sale), StreamsHealthController],
      providers: [{ provide: STREAMS_SERVER, useValue: server }],
    };
  }
}
