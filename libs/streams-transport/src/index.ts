export * from './lib/server';
export * from './lib/client';
export * from './lib/client.module';
export * from './lib/context';
export * from './lib/decorators';
export * from './lib/error-filter';
export * from './lib/events';
export * from './lib/options';
export * from './lib/status';
export * from './lib/transport-id';
export {
  ContractViolationError,
  DEFAULT_MAX_DATA_BYTES,
  ENTRY_FIELDS,
  decodeEntry,
  encodeEntry,
  entryFields,
  type DecodedEntry,
  type EncodeOptions,
  type FlatFields,
} from './lib/codec';
export type { Readiness } from './lib/consumer-health';
export * from './lib/health.controller';
export * from './lib/record-reader';
export * from './lib/drain-stream';
export type { RedisClient, RedisConnection } from './lib/connection';
export { MESSAGING_SYSTEM, messagingAttributes } from './lib/tracing';
