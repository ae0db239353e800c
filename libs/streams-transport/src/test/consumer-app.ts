import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BatchEventPattern, type Acknowledger } from '../lib/decorators';
import { RedisStreamsErrorFilter } from '../lib/error-filter';
import type { RedisStreamsServerOptions } from '../lib/options';
import { RedisStreamsServer } from '../lib/server';

export type Handle = (data: unknown, context: never) => unknown;

/** A Nest microservice whose one handler consumes `stream` through RedisStreamsServer, started and listening. */
export async function startConsumerApp(
  options: RedisStreamsServerOptions,
  stream: string,
  handle: Handle,
  { batch = false, acknowledgedBy = 'transport' as Acknowledger } = {},
): Promise<{ app: INestMicroservice; server: RedisStreamsServer }> {
  const pattern =
    batch || acknowledgedBy === 'handler' ? BatchEventPattern(stream, { acknowledgedBy }) : EventPattern(stream);

  @Controller()
  class StreamHandlers {
    @pattern
    async onEntry(@Payload() data: unknown, @Ctx() context: never) {
      await handle(data, context);
    }
  }

  @Module({ controllers: [StreamHandlers] })
  class ConsumerModule {}

  const server = new RedisStreamsServer(options);
  const app = await NestFactory.createMicroservice(ConsumerModule, { strategy: server, logger: false });
  app.useGlobalFilters(new RedisStreamsErrorFilter());
  await app.listen();
  return { app, server };
}
