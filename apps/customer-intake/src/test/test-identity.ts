import {
  CustomerTokenSigner,
  customerSubject,
  generateSigningKey,
  type SigningKey,
} from '@popup-store/customer-identity';

export const TEST_ISSUER = 'http://identity.test';

/** A key pair made by the test, the intake settings that trust it, and sign-ins with it. */
export interface TestIdentity {
  readonly key: SigningKey;
  /** CUSTOMER_TOKEN_PUBLIC_KEY and CUSTOMER_TOKEN_ISSUER for intake. */
  readonly env: Record<string, string>;
  /** `Bearer <token>` of the customer signed in as `name`. */
  bearer(name: string): Promise<string>;
  /** The customer id (`sub`) of `name`. */
  sub(name: string): string;
}

export async function testIdentity(): Promise<TestIdentity> {
  const key = await generateSigningKey();
  const signer = new CustomerTokenSigner({ key, issuer: TEST_ISSUER, audience: 'popup-store', ttlSeconds: 600 });
  return {
    key,
    env: { CUSTOMER_TOKEN_PUBLIC_KEY: JSON.stringify(key.publicJwk), CUSTOMER_TOKEN_ISSUER: TEST_ISSUER },
    bearer: async (name) => `Bearer ${(await signer.sign(name)).accessToken}`,
    sub: customerSubject,
  };
}
