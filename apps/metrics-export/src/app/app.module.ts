import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LiveSales, streamsOf } from '@popup-store/gears-client';
import { STREAMS_SERVER, StreamsHealthController, type RedisStreamsServer } from '@popup-store/streams-transport';
import { LoggerModule } from 'nestjs-pino';
import { DecisionLatencies } from '../latency/decision-latencies';
import { DecisionsController } from '../latency/decisions.controller';
import { MeterProviderCloser, meterProvider, prometheusMeterProvider } from '../otel/meter.provider';
import { SaleInstruments } from '../otel/sale-instruments';
import { Sampler } from '../sampling/sampler';
import { SeriesWriter } from '../series/series-writer';
import { METRICS_CONFIG, type MetricsConfig } from './metrics-config';
import { REDIS, RedisCloser, redisProvider } from './redis.provider';
import type { Redis } from 'ioredis';

@Module({})
export class AppModule {
  static register(config: MetricsConfig, server: RedisStreamsServer): DynamicModule {
    return {
      module: AppModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL, autoLogging: false } }), TerminusModule],
      controllers: [DecisionsController, StreamsHealthController],
      providers: [
        { provide: METRICS_CONFIG, useValue: config },
        { provide: STREAMS_SERVER, useValue: server },
        redisProvider,
        RedisCloser,
        prometheusMeterProvider,
        meterProvider,
        MeterProviderCloser,
        DecisionLatencies,
        SeriesWriter,
        Sampler,
        SaleInstruments,
        {
          // The sales it exports: the transport reads their decisions, the sampler samples them.
          provide: LiveSales,
          inject: [REDIS, Sampler],
          useFactory: (redis: Redis, sampler: Sampler) =>
            new LiveSales({
              redis,
              service: 'metrics-export',
              defaultSaleId: config.SALE_ID,
              work: [streamsOf(server, 'metrics-export'), sampler],
              logger: new Logger(LiveSales.name),
            }),
        },
      ],
    };
  }
}
