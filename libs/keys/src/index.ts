export * from './lib/sale-keys';
export * from './lib/topology';
