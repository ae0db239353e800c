import { SignJWT } from 'jose';
import { customerSubject } from './customer-subject';
import type { SigningKey } from './signing-key';

export interface TokenSignerSettings {
  readonly key: SigningKey;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime of a token. */
  readonly ttlSeconds: number;
}

/** What a sign-in hands back: the OAuth 2.0 token response's fields, and the customer it names. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly sub: string;
}

/** Signs customer access tokens: `sub` from the name, `iss`, `aud`, `iat`, `exp`, the key's `kid` in the header. */
export class CustomerTokenSigner {
  constructor(private readonly settings: TokenSignerSettings) {}

  async sign(name: string, now = Date.now()): Promise<IssuedToken> {
    const { key, issuer, audience, ttlSeconds } = this.settings;
    const iat = Math.floor(now / 1000);
    const sub = customerSubject(name);
    const accessToken = await new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.publicJwk.kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(key.privateKey);
    return { accessToken, expiresIn: ttlSeconds, sub };
  }
}
