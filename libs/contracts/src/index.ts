export * from './lib/contract';
export * from './lib/customer.contract';
export * from './lib/order.contract';
export * from './lib/completion.contract';
export * from './lib/rejection.contract';
export * from './lib/alert.contract';
export * from './lib/dead-letter.contract';
export * from './lib/sale-report.contract';
