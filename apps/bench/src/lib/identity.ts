import { generateSigningKey } from '@popup-store/customer-identity';

/** The bench's stand-in for identity-dev: its key pair, shared by customer-intake (public) and the load (private). */
export interface BenchIdentity {
  readonly issuer: string;
  readonly audience: string;
  /** customer-intake's CUSTOMER_TOKEN_PUBLIC_KEY (a JWK). */
  readonly publicKey: string;
  /** The load generator signs its customers in with it (a JWK), as identity-dev would. */
  readonly signingKey: string;
}

export async function benchIdentity(): Promise<BenchIdentity> {
  const key = await generateSigningKey();
  return {
    issuer: 'http://identity.bench',
    audience: 'popup-store',
    publicKey: JSON.stringify(key.publicJwk),
    signingKey: JSON.stringify(key.privateJwk),
  };
}
