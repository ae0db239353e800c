export * from './lib/redis-connection';
export * from './lib/replica-acks';
export * from './lib/cork';
