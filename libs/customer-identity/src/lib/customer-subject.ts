import { createHash } from 'node:crypto';

/**
 * The `sub` of a customer signed in under `name`: stable (the same name is always the same customer), opaque
 * (no name in logs or Redis keys) and inside the customer-id character set of the streams' contracts.
 */
export function customerSubject(name: string): string {
  return `u_${createHash('sha256').update(name.normalize('NFC')).digest('base64url').slice(0, 27)}`;
}
