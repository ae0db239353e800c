export * from './lib/redis-server-process';
export * from './lib/redis-cluster-process';
