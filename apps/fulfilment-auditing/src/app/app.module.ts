import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { producerOf, type SaleKeys } from '@popup-store/keys';
import { RedisStreamsClientModule } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import { AuditLedgerService } from '../audit/audit-ledger.service';
import { decisionRecordsController } from '../audit/decision-records.controller';
import { SaleWatchService } from '../audit/sale-watch.service';
import { CompletionLanesService } from '../completion/completion-lanes.service';
import { ALERTS_CLIENT, AUDIT_REDIS, auditRedisProvider } from './audit-connections';
import { AUDITING_CONFIG, SALE_KEYS, type AuditingConfig } from './auditing-config';

@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(@Inject(AUDIT_REDIS) private readonly redis: Redis) {}

  static register(config: AuditingConfig, sale: SaleKeys): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL } }),
        RedisStreamsClientModule.register({
          name: ALERTS_CLIENT,
          connection: config.REDIS_URL,
          streams: producerOf(sale, 'fulfilment-auditing'),
        }),
      ],
      controllers: [decisionRecordsController(sale)],
      providers: [
        { provide: AUDITING_CONFIG, useValue: config },
        { provide: SALE_KEYS, useValue: sale },
        auditRedisProvider,
        AuditLedgerService,
        SaleWatchService,
        CompletionLanesService,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
