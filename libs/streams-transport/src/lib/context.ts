import { BaseRpcContext } from '@nestjs/microservices';
import type { TraceCarrier } from '@popup-store/telemetry';

/** One stream entry as a handler sees it. */
export interface StreamMessage<T = unknown> {
  readonly id: string;
  /** The payload, validated against the stream's contract. */
  readonly data: T;
  /** 1 on the first delivery; more when earlier deliveries failed or their consumer died. */
  readonly deliveryCount: number;
  /** The entry's fields as written (`v`, `data`, `traceparent`, …). */
  readonly fields: Readonly<Record<string, string>>;
  /** The entry's trace context, as far as it is well-formed: what a span about this entry continues. */
  readonly carrier: TraceCarrier;
}

/** The context of a handler that takes one entry at a time (`@Ctx() context: RedisStreamsContext`). */
export class RedisStreamsContext extends BaseRpcContext<[stream: string, message: StreamMessage, source: string]> {
  /** The key of the stream the entry was read from. */
  getStream(): string {
    return this.args[0];
  }

  /** The source the stream was read for (a sale id; see RedisStreamsServer.serve), `''` for the static one. */
  getSource(): string {
    return this.args[2];
  }

  getMessageId(): string {
    return this.args[1].id;
  }

  getDeliveryCount(): number {
    return this.args[1].deliveryCount;
  }

  getFields(): Readonly<Record<string, string>> {
    return this.args[1].fields;
  }
}

/** The context of a batch handler (`@BatchEventPattern`): every entry of one read, in stream order. */
export class RedisStreamsBatchContext extends BaseRpcContext<
  [stream: string, messages: readonly StreamMessage[], source: string]
> {
  /** The key of the stream the entries were read from. */
  getStream(): string {
    return this.args[0];
  }

  /** The source the stream was read for (a sale id; see RedisStreamsServer.serve), `''` for the static one. */
  getSource(): string {
    return this.args[2];
  }

  getMessages(): readonly StreamMessage[] {
    return this.args[1];
  }
}
