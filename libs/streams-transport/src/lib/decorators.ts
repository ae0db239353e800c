import { EventPattern } from '@nestjs/microservices';

/**
 * `@EventPattern(stream)` for a handler that takes every entry of one read at once: its payload is the array of
 * the entries' data and its context a RedisStreamsBatchContext. The batch is acked, or retried, as a whole.
 */
export function BatchEventPattern(stream: string): MethodDecorator {
  return EventPattern(stream, { batch: true });
}
