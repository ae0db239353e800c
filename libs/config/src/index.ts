export * from './lib/common-env';
export * from './lib/read-env';
export * from './lib/redis-env';
