export * from './lib/customer-subject';
export * from './lib/signing-key';
export * from './lib/token-signer';
export * from './lib/token-verifier';
export * from './lib/verified-tokens';
