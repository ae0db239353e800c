export * from './lib/redis-source';
export * from './lib/test-redis';
export * from './lib/eventually';
export * from './lib/test-cluster';
