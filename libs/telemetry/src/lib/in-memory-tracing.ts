import { context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Spans recorded in memory, for tests that assert on traces. */
export interface InMemoryTracing {
  /** The spans ended so far, oldest first. */
  spans(): ReadableSpan[];
  reset(): void;
  /** Unregisters the provider and the context manager. */
  shutdown(): Promise<void>;
}

/**
 * Registers a global tracer provider that keeps finished spans in memory, with async-hooks context propagation.
 * Once per process (test file): the API caches tracers from the first provider it sees.
 * The SDK is loaded here, on call, so that code importing this lib in production never needs the SDK packages.
 */
export async function startInMemoryTracing(): Promise<InMemoryTracing> {
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } =
    await import('@opentelemetry/sdk-trace-base');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    shutdown: async () => {
      trace.disable();
      context.disable();
      await provider.shutdown();
    },
  };
}
