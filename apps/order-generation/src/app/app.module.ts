import { Module, type DynamicModule } from '@nestjs/common';
import { producerOf, type SaleKeys } from '@popup-store/keys';
import { RedisStreamsClientModule } from '@popup-store/streams-transport';
import { LoggerModule } from 'nestjs-pino';
import { customerEntriesController, ORDERS_CLIENT } from '../orders/customer-entries.controller';
import type { OrderGenerationConfig } from './order-generation-config';

@Module({})
export class AppModule {
  static register(config: OrderGenerationConfig, sale: SaleKeys): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL } }),
        RedisStreamsClientModule.register({
          name: ORDERS_CLIENT,
          connection: config.REDIS_URL,
          streams: producerOf(sale, 'order-generation'),
        }),
      ],
      controllers: [customerEntriesController(sale)],
    };
  }
}
