export * from './lib/redis-connection';
