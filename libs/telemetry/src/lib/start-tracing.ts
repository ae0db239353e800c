import { getBooleanFromEnv, getStringFromEnv } from '@opentelemetry/core';

/** Who the spans of this process come from, unless `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` say otherwise. */
export interface ServiceIdentity {
  readonly name: string;
  readonly version: string;
}

/** The OTLP wire formats this bootstrap exports with (`OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Starts the OpenTelemetry Node SDK for this process, configured by the standard `OTEL_*` variables alone: OTLP
 * export of traces, auto-instrumentation of http, Fastify, ioredis and pino (trace ids in every log line). Call it
 * before anything else is required, so that the instrumentations see those modules load.
 *
 * Without an OTLP endpoint (or with `OTEL_SDK_DISABLED=true`) nothing is loaded, patched or exported: returns false.
 */
export function startTracing(service: ServiceIdentity): boolean {
  const endpoint =
    getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined || getBooleanFromEnv('OTEL_SDK_DISABLED')) return false;
  const protocol = otlpProtocol();
  // Required here rather than imported: a process without an endpoint never loads the SDK, and a synchronous
  // require puts the instrumentations' module hooks in place before the app requires what they patch.
  const { startNodeSdk } = require('./node-sdk') as typeof import('./node-sdk');
  const sdk = startNodeSdk(service, protocol);
  const flushAndStop = (signal: NodeJS.Signals) => {
    // Nest's shutdown hooks listen too: they close the app, remove their listener and raise the signal again.
    // Flushing only once no other listener is left keeps the spans of the app's own shutdown (the last batches,
    // the closing commands), and raising the signal afterwards ends the process as it would have ended anyway.
    if (process.listenerCount(signal) > 1) return;
    for (const each of SHUTDOWN_SIGNALS) process.removeListener(each, flushAndStop);
    void sdk.shutdown().finally(() => process.kill(process.pid, signal));
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, flushAndStop);
  return true;
}

function otlpProtocol(): OtlpProtocol {
  const variable = getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = getStringFromEnv(variable) ?? 'http/protobuf';
  if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
  throw new Error(`${variable}=${protocol} is not supported: use http/protobuf (the default) or http/json`);
}
