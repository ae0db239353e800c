import { ROOT_CONTEXT, SpanKind, context, trace } from '@opentelemetry/api';
import { extractSpanContext, extractTraceContext, injectTraceContext } from './trace-context';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';

describe('trace context across a hop', () => {
  let tracing: InMemoryTracing;
  const tracer = trace.getTracer('trace-context.spec');

  beforeAll(async () => {
    tracing = await startInMemoryTracing();
  });
  afterAll(() => tracing.shutdown());

  it('injects nothing outside a span', () => {
    expect(injectTraceContext(ROOT_CONTEXT)).toEqual({});
    expect(extractTraceContext({})).toBe(ROOT_CONTEXT);
  });

  it('continues the producer span on the consumer side', () => {
    const producer = tracer.startSpan('send s', { kind: SpanKind.PRODUCER });
    const carrier = context.with(trace.setSpan(context.active(), producer), () => injectTraceContext());
    producer.end();
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const consumer = tracer.startSpan('process s', { kind: SpanKind.CONSUMER }, extractTraceContext(carrier));
    consumer.end();
    const [sent, processed] = tracing.spans();
    expect(processed.spanContext().traceId).toBe(sent.spanContext().traceId);
    expect(processed.parentSpanContext?.spanId).toBe(sent.spanContext().spanId);
    expect(extractSpanContext(carrier)).toMatchObject({ spanId: sent.spanContext().spanId, isRemote: true });
  });

  it('ignores a malformed traceparent', () => {
    expect(extractSpanContext({ traceparent: 'garbage' })).toBeUndefined();
    expect(extractSpanContext({ traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` })).toBeUndefined();
  });
});
