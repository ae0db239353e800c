import { CustomerTokenSigner, generateSigningKey } from '@popup-store/customer-identity';
import { randomBytes } from 'node:crypto';

/** Who signs a sale's customers in, and the secrets the services share for it. */
export interface SaleIdentity {
  /** The identity provider's base URL, and the `iss` of its tokens. */
  readonly issuer: string;
  readonly audience: string;
  /** Its private key as a JWK: identity-dev signs with it, and so does the crowd (the same key, and no HTTP per sign-in). */
  readonly signingKey: string;
  /** customer-intake's TICKET_SECRET: one per sale, so a ticket reads the same after intake restarts. */
  readonly ticketSecret: string;
  /** `Bearer <token>` of the customer signed in as `name`. */
  bearer(name: string): Promise<string>;
}

/** A fresh key pair and secret for identity-dev on `port`. */
export async function saleIdentity(port: number): Promise<SaleIdentity> {
  const key = await generateSigningKey();
  const issuer = `http://127.0.0.1:${port}`;
  const audience = 'popup-store';
  const signer = new CustomerTokenSigner({ key, issuer, audience, ttlSeconds: 3600 });
  return {
    issuer,
    audience,
    signingKey: JSON.stringify(key.privateJwk),
    ticketSecret: randomBytes(32).toString('base64url'),
    bearer: async (name) => `Bearer ${(await signer.sign(name)).accessToken}`,
  };
}
