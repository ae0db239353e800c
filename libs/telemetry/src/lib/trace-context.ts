import {
  ROOT_CONTEXT,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The W3C trace-context fields a message carries across a hop (stream entry fields, headers). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

// A propagator of our own rather than the global one: messages always carry W3C fields, whatever (if anything)
// the process registered as its global propagator.
const propagator = new W3CTraceContextPropagator();

/** The `traceparent` and `tracestate` of the context's span; empty when it has no valid span. */
export function injectTraceContext(ctx: Context = context.active()): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

/**
 * `base` (the root context by default: a consumer continues the producer's trace, not whatever was active)
 * with the remote span the carrier names; `base` unchanged when the carrier has none or a malformed one.
 */
export function extractTraceContext(carrier: TraceCarrier, base: Context = ROOT_CONTEXT): Context {
  return propagator.extract(base, carrier, defaultTextMapGetter);
}

/** The remote span the carrier names, for span links; undefined when it names none. */
export function extractSpanContext(carrier: TraceCarrier): SpanContext | undefined {
  return trace.getSpanContext(extractTraceContext(carrier));
}
