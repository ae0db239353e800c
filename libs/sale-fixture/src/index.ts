export * from './lib/play-sale';
