import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { readsOf, saleKeys } from '@popup-store/keys';
import { RedisStreamsErrorFilter, RedisStreamsServer } from '@popup-store/streams-transport';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { MetricsConfig } from './metrics-config';

/**
 * The service, running: the transport reads the sale's decisions in group `metrics`, the sampler writes the
 * series, the Prometheus endpoint serves on METRICS_PORT, and `/health/live`, `/health/ready` on HEALTH_PORT.
 */
export async function startMetricsExport(config: MetricsConfig): Promise<NestFastifyApplication> {
  const sale = saleKeys(config.SALE_ID);
  const server = new RedisStreamsServer({
    connection: config,
    ...readsOf(sale, 'metrics-export'),
    consumer: config.CONSUMER_NAME,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, server),
    new FastifyAdapter(),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  app.connectMicroservice({ strategy: server }).useGlobalFilters(new RedisStreamsErrorFilter());
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.HEALTH_PORT, config.HEALTH_HOST);
  return app;
}
