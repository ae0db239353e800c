export * from './lib/percentiles';
