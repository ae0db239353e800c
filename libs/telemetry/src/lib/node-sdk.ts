import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { OtlpProtocol, ServiceIdentity } from './start-tracing';

/**
 * The SDK itself, loaded only by `startTracing` once it knows tracing is wanted. Exporters, sampler, batching and
 * resource attributes read their `OTEL_*` variables themselves; everything else is fixed here.
 */
export function startNodeSdk(service: ServiceIdentity, protocol: OtlpProtocol): NodeSDK {
  const sdk = new NodeSDK({
    // The environment's resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) is merged over this one.
    resource: defaultResource().merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: service.name, [ATTR_SERVICE_VERSION]: service.version }),
    ),
    traceExporter: protocol === 'http/json' ? new OtlpJsonTraceExporter() : new OtlpProtobufTraceExporter(),
    // Traces only: metrics are served to Prometheus by metrics-export, and logs go to stdout with their trace ids.
    // Left unset, the SDK would default both to OTLP exporters of their own.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation(),
      // Nest creates the Fastify instance itself, so the plugin registers through Fastify's initialization channel.
      // Request and handler spans only: a span per lifecycle hook (middie, one per middleware) is noise per order.
      new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false }),
      // Only commands issued inside a traced operation: the services' background polling would bury the orders.
      new IORedisInstrumentation({ requireParentSpan: true }),
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  sdk.start();
  return sdk;
}
