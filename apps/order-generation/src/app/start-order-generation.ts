import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { ConsumerGroup, consumerOf, saleKeys } from '@popup-store/keys';
import { RedisStreamsErrorFilter, RedisStreamsServer } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { OrderGenerationConfig } from './order-generation-config';

/** The service, listening: a consumer of the customers stream in the `order-generation` group. */
export async function startOrderGeneration(config: OrderGenerationConfig): Promise<INestMicroservice> {
  const sale = saleKeys(config.SALE_ID);
  const server = new RedisStreamsServer({
    connection: config.REDIS_URL,
    ...consumerOf(sale, ConsumerGroup.orderGeneration),
    batchSize: config.BATCH_SIZE,
    blockMs: config.BLOCK_MS,
    minIdleMs: config.RECLAIM_IDLE_MS,
  });
  const app = await NestFactory.createMicroservice(AppModule.register(config, sale), {
    strategy: server,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new RedisStreamsErrorFilter());
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
  await app.listen();
  app.get(Logger).log(`order-generation turning ${sale.customers} into ${sale.orders}`);
  return app;
}
