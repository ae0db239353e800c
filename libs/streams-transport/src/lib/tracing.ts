import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { extractSpanContext, extractTraceContext, type TraceCarrier } from '@popup-store/telemetry';
import { describeError } from './describe-error';

// Messaging semantic-convention names, copied rather than imported: they are still incubating, and the
// semantic-conventions package advises copying incubating names instead of depending on their entry point.
const SYSTEM = 'messaging.system';
const DESTINATION = 'messaging.destination.name';
const OPERATION_TYPE = 'messaging.operation.type';
const OPERATION_NAME = 'messaging.operation.name';
const MESSAGE_ID = 'messaging.message.id';
const CONSUMER_GROUP = 'messaging.consumer.group.name';
const BATCH_COUNT = 'messaging.batch.message_count';

/** There is no registered `messaging.system` value for Redis Streams; "redis" says which broker it is. */
export const MESSAGING_SYSTEM = 'redis';

const tracer = trace.getTracer('@popup-store/streams-transport');

/** A PRODUCER span `send <stream>`, child of the active span. */
export function startSendSpan(stream: string): Span {
  const span = tracer.startSpan(`send ${stream}`, { kind: SpanKind.PRODUCER });
  // Attributes only for a span that records: with no SDK, building them would be work thrown away per message.
  if (span.isRecording()) {
    span.setAttributes({
      [SYSTEM]: MESSAGING_SYSTEM,
      [DESTINATION]: stream,
      [OPERATION_TYPE]: 'send',
      [OPERATION_NAME]: 'send',
    });
  }
  return span;
}

export function setMessageId(span: Span, id: string): void {
  if (span.isRecording()) span.setAttribute(MESSAGE_ID, id);
}

/** A CONSUMER span `process <stream>` continuing the producer's trace, and the context to run the handler in. */
export function startProcessSpan(stream: string, group: string, id: string, carrier: TraceCarrier): Context {
  const parent = extractTraceContext(carrier);
  const span = tracer.startSpan(`process ${stream}`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) span.setAttributes({ ...processAttributes(stream, group), [MESSAGE_ID]: id });
  return trace.setSpan(parent, span);
}

/**
 * A CONSUMER span `process <stream>` for a batch: a batch has many producers, so the span starts a trace of its
 * own and links to each of them.
 */
export function startBatchProcessSpan(stream: string, group: string, carriers: readonly TraceCarrier[]): Context {
  const span = tracer.startSpan(`process ${stream}`, { kind: SpanKind.CONSUMER, root: true });
  if (span.isRecording()) {
    span.setAttributes({ ...processAttributes(stream, group), [BATCH_COUNT]: carriers.length });
    const links: Link[] = [];
    for (const carrier of carriers) {
      const linked = extractSpanContext(carrier);
      if (linked) links.push({ context: linked });
    }
    span.addLinks(links);
  }
  return trace.setSpan(context.active(), span);
}

/** Runs `work` inside the span of `ctx`, records what it throws, and always ends the span. */
export async function inSpan<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  const span = trace.getSpan(ctx) as Span;
  try {
    return await context.with(ctx, work);
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

export function recordFailure(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : describeError(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
}

function processAttributes(stream: string, group: string) {
  return messagingAttributes({ stream, group, operation: 'process' });
}

/**
 * The messaging attributes of a consumer span, for spans a service starts itself about entries the transport
 * delivered (fulfilment-auditing's `decide <orders>` span per order): `operation` is the operation's name, its
 * type is `process`.
 */
export function messagingAttributes(span: {
  stream: string;
  group: string;
  operation: string;
  messageId?: string;
}): Attributes {
  return {
    [SYSTEM]: MESSAGING_SYSTEM,
    [DESTINATION]: span.stream,
    [CONSUMER_GROUP]: span.group,
    [OPERATION_TYPE]: 'process',
    [OPERATION_NAME]: span.operation,
    ...(span.messageId === undefined ? {} : { [MESSAGE_ID]: span.messageId }),
  };
}
