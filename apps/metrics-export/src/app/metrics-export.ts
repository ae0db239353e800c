import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConsumerGroup, consumerOf, saleKeys } from '@popup-store/keys';
import { RedisStreamsErrorFilter, RedisStreamsServer } from '@popup-store/streams-transport';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { MetricsConfig } from './metrics-config';

/** The service, not yet listening: a Nest microservice whose transport reads the sale's decisions in group `metrics`. */
export async function createMetricsExport(config: MetricsConfig): Promise<INestMicroservice> {
  const sale = saleKeys(config.SALE_ID);
  const server = new RedisStreamsServer({
    connection: config.REDIS_URL,
    ...consumerOf(sale, ConsumerGroup.metrics),
  });
  const app = await NestFactory.createMicroservice(AppModule.register(config), { strategy: server, bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new RedisStreamsErrorFilter());
  return app;
}
