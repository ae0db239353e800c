import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { producerOf, type SaleKeys } from '@popup-store/keys';
import { TerminusModule } from '@nestjs/terminus';
import { RedisStreamsClientModule, type RedisStreamsServer } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import { AuditLedgerService } from '../audit/audit-ledger.service';
import { decisionRecordsController } from '../audit/decision-records.controller';
import { SaleWatchService } from '../audit/sale-watch.service';
import { ordersController } from '../completion/orders.controller';
import { HealthController } from '../health/health.controller';
import {
  ALERTS_CLIENT,
  AUDIT_REDIS,
  auditRedisProvider,
  GearsKeeper,
  saleGearsProvider,
  STREAMS_SERVER,
} from './audit-connections';
import { AUDITING_CONFIG, SALE_KEYS, type AuditingConfig } from './auditing-config';

@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(@Inject(AUDIT_REDIS) private readonly redis: Redis) {}

  static register(config: AuditingConfig, sale: SaleKeys, server: RedisStreamsServer): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL, autoLogging: false } }),
        TerminusModule,
        RedisStreamsClientModule.register({
          name: ALERTS_CLIENT,
          connection: config,
          streams: producerOf(sale, 'fulfilment-auditing'),
        }),
      ],
      controllers: [ordersController(sale), decisionRecordsController(sale), HealthController],
      providers: [
        { provide: AUDITING_CONFIG, useValue: config },
        { provide: SALE_KEYS, useValue: sale },
        { provide: STREAMS_SERVER, useValue: server },
        auditRedisProvider,
        saleGearsProvider,
        GearsKeeper,
        AuditLedgerService,
        SaleWatchService,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
