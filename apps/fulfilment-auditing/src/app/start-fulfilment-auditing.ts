import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LiveSales } from '@popup-store/gears-client';
import { ConsumerGroup, readsOf, saleKeys, saleStreams, streamOfKey } from '@popup-store/keys';
import { RedisStreamsErrorFilter, RedisStreamsServer } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { Logger } from 'nestjs-pino';
import { AUDIT_REDIS, GearsKeeper } from './audit-connections';
import { AppModule } from './app.module';
import type { AuditingConfig } from './auditing-config';

/**
 * The service, running: the completion trigger on the orders stream and the auditor on the completed stream of
 * every live sale (SALE_ID's from the start, the registry's as LiveSales finds them), and `/health/live`,
 * `/health/ready` on HEALTH_PORT.
 */
export async function startFulfilmentAuditing(config: AuditingConfig): Promise<NestFastifyApplication> {
  const sale = saleKeys(config.SALE_ID);
  const server = new RedisStreamsServer({
    connection: config,
    ...readsOf('fulfilment-auditing'),
    sources: { [sale.saleId]: saleStreams(sale, 'fulfilment-auditing') },
    // Stable across restarts, so a restarted process takes back at once what it held when it died.
    consumer: config.CONSUMER_NAME,
    batchSize: config.COMPLETION_BATCH,
    blockMs: config.COMPLETION_BLOCK_MS,
    // COMPLETION_LANES batches of orders decided at once (Redis decides one while the next is read); while they
    // are, orders pile up and the next read takes a fuller batch, which costs Redis less per decision.
    maxReadsInFlight: config.COMPLETION_LANES,
    maxInFlight: 2 * config.COMPLETION_LANES * config.COMPLETION_BATCH,
    minIdleMs: config.RECLAIM_IDLE_MS,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, server),
    new FastifyAdapter(),
    { bufferLogs: true },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.connectMicroservice({ strategy: server }).useGlobalFilters(new RedisStreamsErrorFilter());
  const redis = app.get<Redis>(AUDIT_REDIS);
  const loaded = await app.get(GearsKeeper).load();
  logger.log(`gears ${loaded.outcome} (version ${loaded.version})`);
  server.on('group-recreated', (stream) => {
    const recreated = streamOfKey(stream);
    if (recreated?.stream !== 'orders') return;
    const sale = saleKeys(recreated.saleId);
    // The orders stream vanished with the orders it held. Their customers entries are still on the customers
    // stream (the gears delete one only with its order's decision): order-generation reads that stream again from
    // its start and orders each again; the gears decide an order id once, so one ordered twice changes nothing.
    redis.xgroup('SETID', sale.customers, ConsumerGroup.orderGeneration, '0').then(
      () => logger.warn(`${sale.orders} was gone: ${sale.customers} is read again from its start`),
      (error: Error) =>
        logger.error(`${sale.orders} was gone, and ${sale.customers} could not be replayed: ${error.message}`),
    );
  });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.get(LiveSales).start();
  await app.listen(config.HEALTH_PORT, config.HEALTH_HOST);
  logger.log(
    `fulfilment-auditing completing ${sale.orders} and auditing ${sale.completed}, and every live sale's; health on ${await app.getUrl()}`,
  );
  return app;
}
