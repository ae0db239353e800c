import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConsumerGroup, consumerOf, saleKeys } from '@popup-store/keys';
import { RedisStreamsErrorFilter, RedisStreamsServer } from '@popup-store/streams-transport';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AuditingConfig } from './auditing-config';

/** The service, running: completion lanes on the orders stream, the auditor on the completed stream. */
export async function startFulfilmentAuditing(config: AuditingConfig): Promise<INestMicroservice> {
  const sale = saleKeys(config.SALE_ID);
  const server = new RedisStreamsServer({
    connection: config.REDIS_URL,
    ...consumerOf(sale, ConsumerGroup.auditing),
    batchSize: 500,
    minIdleMs: config.RECLAIM_IDLE_MS,
  });
  const app = await NestFactory.createMicroservice(AppModule.register(config, sale), {
    strategy: server,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new RedisStreamsErrorFilter());
  app.enableShutdownHooks();
  await app.listen();
  app.get(Logger).log(`fulfilment-auditing completing ${sale.orders} and auditing ${sale.completed}`);
  return app;
}
