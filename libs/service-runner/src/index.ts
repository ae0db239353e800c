export * from './lib/processes';
export * from './lib/run-services';
export * from './lib/supervisor';
export * from './lib/run-identity';
