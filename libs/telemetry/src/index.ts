export * from './lib/trace-context';
export * from './lib/in-memory-tracing';
export * from './lib/start-tracing';
