import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { saleKeys } from '@popup-store/keys';
import { STREAMS_SERVER, StreamsHealthController, type RedisStreamsServer } from '@popup-store/streams-transport';
import { LoggerModule } from 'nestjs-pino';
import { DecisionLatencies } from '../latency/decision-latencies';
import { decisionsController } from '../latency/decisions.controller';
import { MeterProviderCloser, meterProvider, prometheusMeterProvider } from '../otel/meter.provider';
import { SaleInstruments } from '../otel/sale-instruments';
import { Sampler } from '../sampling/sampler';
import { SeriesWriter } from '../series/series-writer';
import { METRICS_CONFIG, SALE_KEYS, type MetricsConfig } from './metrics-config';
import { RedisCloser, redisProvider } from './redis.provider';

@Module({})
export class AppModule {
  static register(config: MetricsConfig, server: RedisStreamsServer): DynamicModule {
    const sale = saleKeys(config.SALE_ID);
    return {
      module: AppModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL, autoLogging: false } }), TerminusModule],
      controllers: [decisionsController(sale), StreamsHealthController],
      providers: [
        { provide: METRICS_CONFIG, useValue: config },
        { provide: SALE_KEYS, useValue: sale },
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
      ],
    };
  }
}
