import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { KeyObject } from 'node:crypto';
import { importPublicKey, type CustomerTokenAlgorithm } from './signing-key';
import { VerifiedTokens, type VerifiedCustomer } from './verified-tokens';

/** Why a token was refused: stable codes a client can branch on (the 401's `reason`). */
export type TokenRefusalReason =
  | 'missing_token'
  | 'malformed_token'
  | 'expired_token'
  | 'token_not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'unsupported_algorithm'
  | 'unknown_key'
  | 'bad_signature'
  | 'invalid_subject'
  | 'invalid_token';

/** The token does not prove who the customer is. */
export class TokenRefused extends Error {
  constructor(
    readonly reason: TokenRefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRefused';
  }
}

/** The keys could not be fetched (the identity provider's JWKS is unreachable): not the customer's fault. */
export class KeysUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the identity provider's keys cannot be fetched: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'KeysUnavailable';
  }
}

export interface TokenVerifierSettings {
  /** Where the identity provider's JWKS is; fetched, cached and refreshed on an unknown `kid` by jose. */
  readonly jwksUrl?: string;
  /** Or one fixed public key, PEM or JWK. */
  readonly publicKey?: string;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly CustomerTokenAlgorithm[];
  readonly clockToleranceSeconds: number;
  /** How many verified tokens are remembered until their `exp`. */
  readonly cacheSize: number;
  /** The `sub` a customer may have: what the streams' contracts accept as a customer id. */
  readonly subject: { safeParse(value: unknown): { success: boolean } };
}

/** Verifies customers' access tokens with jose; a token verified once is not verified again until its `exp`. */
export class CustomerTokenVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey;
  private readonly verified: VerifiedTokens;

  constructor(private readonly settings: TokenVerifierSettings) {
    if (settings.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 2000, cooldownDuration: 10_000 });
    } else if (settings.publicKey) {
      this.key = importPublicKey(settings.publicKey);
    } else {
      throw new Error('a JWKS URL or a public key is needed to verify customer tokens');
    }
    this.verified = new VerifiedTokens(settings.cacheSize);
  }

  /** Tokens remembered as verified. */
  get cached(): number {
    return this.verified.size;
  }

  /** The customer a compact JWS names, or TokenRefused with the reason, or KeysUnavailable. */
  async verify(token: string, now = Date.now()): Promise<VerifiedCustomer> {
    const known = this.verified.get(token, now);
    if (known) return known;
    const { issuer, audience, algorithms, clockToleranceSeconds } = this.settings;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key as KeyObject, {
        issuer,
        audience,
        algorithms: [...algorithms],
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw refusalOf(error);
    }
    if (!this.settings.subject.safeParse(payload.sub).success) {
      throw new TokenRefused('invalid_subject', 'the token names no valid customer');
    }
    const customer = { sub: payload.sub as string, expiresAt: (payload.exp as number) * 1000 };
    this.verified.set(token, customer);
    return customer;
  }
}

function refusalOf(error: unknown): TokenRefused | KeysUnavailable {
  if (error instanceof errors.JWTExpired) return new TokenRefused('expired_token', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return new TokenRefused('token_not_yet_valid', 'the token is not valid yet');
      case 'iss':
        return new TokenRefused('wrong_issuer', 'the token is not from the identity provider of this store');
      case 'aud':
        return new TokenRefused('wrong_audience', 'the token is not meant for this store');
      default:
        return new TokenRefused('invalid_token', `the token's ${error.claim} claim is ${error.reason}`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new TokenRefused('unsupported_algorithm', 'the token is not signed with an accepted algorithm');
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenRefused('unknown_key', 'the token is signed with a key the store does not know');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRefused('bad_signature', 'the token signature does not verify');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new TokenRefused('malformed_token', 'not a signed JWT');
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isFetchFailure(error)) {
    return new KeysUnavailable(error);
  }
  return new TokenRefused('invalid_token', 'the token cannot be verified');
}

/** jose's remote set lets fetch's own errors through (connection refused, DNS); by name, as fetch's realm may differ. */
function isFetchFailure(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === 'TypeError' && message === 'fetch failed';
}
