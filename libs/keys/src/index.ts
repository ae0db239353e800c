export * from './lib/sale-keys';
