import { Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { LiveSales, streamsOf } from '@popup-store/gears-client';
import { producerContracts } from '@popup-store/keys';
import { TerminusModule } from '@nestjs/terminus';
import {
  READINESS_CHECKS,
  RedisStreamsClientModule,
  STREAMS_SERVER,
  StreamsHealthController,
  type ReadinessCheck,
  type RedisStreamsServer,
} from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import { AuditLedgerService } from '../audit/audit-ledger.service';
import { DecisionRecordsController } from '../audit/decision-records.controller';
import { SaleWatchService } from '../audit/sale-watch.service';
import { OrdersController } from '../completion/orders.controller';
import { ALERTS_CLIENT, AUDIT_REDIS, auditRedisProvider, GearsKeeper, SalesGears } from './audit-connections';
import { AUDITING_CONFIG, type AuditingConfig } from './auditing-config';

@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(@Inject(AUDIT_REDIS) private readonly redis: Redis) {}

  static register(config: AuditingConfig, server: RedisStreamsServer): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL, autoLogging: false } }),
        TerminusModule,
        RedisStreamsClientModule.register({
          name: ALERTS_CLIENT,
          connection: config,
          streams: producerContracts('fulfilment-auditing'),
        }),
      ],
      controllers: [OrdersController, DecisionRecordsController, StreamsHealthController],
      providers: [
        { provide: AUDITING_CONFIG, useValue: config },
        { provide: STREAMS_SERVER, useValue: server },
        auditRedisProvider,
        SalesGears,
        GearsKeeper,
        AuditLedgerService,
        SaleWatchService,
        {
          // The sales it completes and audits: the transport reads their streams, the watch checks and reports them.
          provide: LiveSales,
          inject: [AUDIT_REDIS, SaleWatchService],
          useFactory: (redis: Redis, watch: SaleWatchService) =>
            new LiveSales({
              redis,
              service: 'fulfilment-auditing',
              defaultSaleId: config.SALE_ID,
              work: [streamsOf(server, 'fulfilment-auditing'), watch],
              logger: new Logger(LiveSales.name),
            }),
        },
        {
          // Completing needs the gears: not ready while the sale watch's last status call failed (the library gone
          // and not yet loaded again, Redis away).
          provide: READINESS_CHECKS,
          inject: [SaleWatchService],
          useFactory: (watch: SaleWatchService): ReadinessCheck[] => [
            (indicators) => {
              const indicator = indicators.check('gears');
              const failure = watch.gearsFailure();
              return failure === undefined ? indicator.up() : indicator.down({ message: failure });
            },
          ],
        },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
