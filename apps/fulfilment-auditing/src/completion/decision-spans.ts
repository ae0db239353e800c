import { Logger } from '@nestjs/common';
import { SpanKind, SpanStatusCode, context, trace, type Attributes } from '@opentelemetry/api';
import type { DecidedOrder } from '@popup-store/gears-client';
import { messagingAttributes } from '@popup-store/streams-transport';
import { extractTraceContext } from '@popup-store/telemetry';

const tracer = trace.getTracer('fulfilment-auditing');
const logger = new Logger('Decisions');

/**
 * One CONSUMER span `decide <orders stream>` per decided order, child of the trace context its entry carried: the
 * decision is taken inside Redis, one FCALL per batch, so only here can each order's trace get its outcome. The
 * span runs from the decision (Redis time) to the reply reaching this process. Rejections end in error status,
 * with the reason as status message, so a trace search for errors finds them.
 */
export function traceDecisions(stream: string, group: string, decided: readonly DecidedOrder[]): void {
  const end = Date.now();
  for (const order of decided) {
    const { decision } = order;
    const parent = extractTraceContext(order);
    const span = tracer.startSpan(`decide ${stream}`, { kind: SpanKind.CONSUMER, startTime: decision.at }, parent);
    const line = () =>
      logger.debug(
        `order ${order.orderId} ${decision.outcome === 'completed' ? `completed: unit ${decision.unit}` : `rejected: ${decision.reason}`}`,
      );
    // Without tracing there is no trace for the line to carry: no context made per order.
    if (!span.isRecording()) {
      line();
      continue;
    }
    span.setAttributes(decisionAttributes(stream, group, order));
    if (decision.outcome === 'rejected') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `rejected: ${decision.reason}` });
    }
    // Logged in the span's context, so the line carries the order's trace id.
    context.with(trace.setSpan(parent, span), line);
    span.end(end);
  }
}

function decisionAttributes(
  stream: string,
  group: string,
  { entryId, orderId, customerId, decision, replayed }: DecidedOrder,
): Attributes {
  return {
    ...messagingAttributes({ stream, group, operation: 'decide', messageId: entryId }),
    'popup.order.id': orderId,
    'popup.customer.id': customerId,
    'popup.order.outcome': decision.outcome,
    'popup.order.replayed': replayed,
    ...(decision.outcome === 'completed'
      ? { 'popup.order.unit': decision.unit }
      : { 'popup.order.rejection_reason': decision.reason }),
  };
}
