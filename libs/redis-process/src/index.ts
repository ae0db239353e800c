export * from './lib/redis-server-process';
