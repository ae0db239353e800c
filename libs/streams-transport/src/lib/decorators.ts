import { EventPattern } from '@nestjs/microservices';

/** Who acknowledges the entries a handler succeeded on. */
export type Acknowledger = 'transport' | 'handler';

export interface BatchPatternOptions {
  /**
   * `transport` (the default): the batch is acked once the handler resolves. `handler`: the handler acks the
   * entries itself, in the same atomic step that applies them (an FCALL that decides orders and acks and deletes
   * their entries), so the transport never acks what the handler was given. Such a stream is a work queue: the
   * entries the transport settles on its own (malformed, out of deliveries, deleted while pending) are acked and
   * deleted, with XACKDEL where Redis has it, so the stream holds exactly the entries still to do.
   */
  readonly acknowledgedBy?: Acknowledger;
}

/**
 * `@EventPattern(stream)` for a handler that takes every entry of one read at once: its payload is the array of
 * the entries' data and its context a RedisStreamsBatchContext. The batch is acked, or retried, as a whole.
 */
export function BatchEventPattern(stream: string, options: BatchPatternOptions = {}): MethodDecorator {
  return EventPattern(stream, { batch: true, acknowledgedBy: options.acknowledgedBy ?? 'transport' });
}
