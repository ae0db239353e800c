import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LiveSales } from '@popup-store/gears-client';
import { readsOf, saleKeys, saleStreams } from '@popup-store/keys';
import { RedisStreamsErrorFilter, RedisStreamsServer } from '@popup-store/streams-transport';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { MetricsConfig } from './metrics-config';

/**
 * The service, running: the transport reads the decisions of every live sale (SALE_ID's from the start, the
 * registry's as LiveSales finds them) in group `metrics`, the sampler writes each sale's series, the Prometheus endpoint serves on METRICS_PORT, and `/health/live`, `/health/ready` on HEALTH_PORT.
 */
export async function startMetricsExport(config: MetricsConfig): Promise<NestFastifyApplication> {
  const sale = saleKeys(config.SALE_ID);
  const server = new RedisStreamsServer({
    connection: config,
    ...readsOf('metrics-export'),
    sources: { [sale.saleId]: saleStreams(sale, 'metrics-export') },
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
  await app.get(LiveSales).start();
  await app.listen(config.HEALTH_PORT, config.HEALTH_HOST);
  return app;
}
