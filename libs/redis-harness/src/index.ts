export * from './lib/redis-source';
export * from './lib/test-redis';
export * from './lib/eventually';
