import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LiveSales } from '@popup-store/gears-client';
import { readsOf, saleKeys, saleStreams } from '@popup-store/keys';
import { RedisStreamsErrorFilter, RedisStreamsServer } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { OrderGenerationConfig } from './order-generation-config';

/**
 * The service, listening: a consumer of the customers stream of every live sale (SALE_ID's from the start, the
 * registry's as LiveSales finds them) in the `order-generation` group, with `/health/live` and `/health/ready` on
 * HEALTH_PORT.
 */
export async function startOrderGeneration(config: OrderGenerationConfig): Promise<NestFastifyApplication> {
  const sale = saleKeys(config.SALE_ID);
  const server = new RedisStreamsServer({
    connection: config,
    ...readsOf('order-generation'),
    sources: { [sale.saleId]: saleStreams(sale, 'order-generation') },
    batchSize: config.BATCH_SIZE,
    blockMs: config.BLOCK_MS,
    minIdleMs: config.RECLAIM_IDLE_MS,
    consumer: config.CONSUMER_NAME,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, server),
    new FastifyAdapter(),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  app.connectMicroservice({ strategy: server }).useGlobalFilters(new RedisStreamsErrorFilter());
  // The customers stream holds exactly the requests still to decide: one that can never become an order leaves it.
  server.on(
    'dead-letter',
    (letter) =>
      void server
        .unwrap<Redis>()
        .xdel(letter.stream, letter.id)
        .catch(() => undefined),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.get(LiveSales).start();
  await app.listen(config.HEALTH_PORT, config.HEALTH_HOST);
  app
    .get(Logger)
    .log(
      `order-generation turning ${sale.customers} into ${sale.orders}, and every live sale's; health on ${await app.getUrl()}`,
    );
  return app;
}
