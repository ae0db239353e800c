import { calculateJwkThumbprint, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The asymmetric algorithms a customer token may be signed with; anything else is refused. */
export const CUSTOMER_TOKEN_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
export type CustomerTokenAlgorithm = (typeof CUSTOMER_TOKEN_ALGORITHMS)[number];

/** A private key ready to sign: its algorithm, and the public half as the JWKS publishes it. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly alg: CustomerTokenAlgorithm;
  /** The public JWK with `kid` (its RFC 7638 thumbprint), `alg` and `use`. */
  readonly publicJwk: JWK;
  /** The private key as a JWK (with the same `kid`), to hand to a process that signs with the same key. */
  readonly privateJwk: JWK;
}

/** A fresh ES256 key pair. */
export function generateSigningKey(): Promise<SigningKey> {
  return signingKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

/** A private key from PEM (PKCS#8 or SEC1/PKCS#1) or a JWK (JSON); the algorithm follows from the key's type. */
export function importSigningKey(text: string): Promise<SigningKey> {
  return signingKey(createPrivateKey(keyInput(text)));
}

/** A public key from PEM (SPKI) or a JWK (JSON); a private key is accepted and its public half taken. */
export function importPublicKey(text: string): KeyObject {
  return createPublicKey(keyInput(text));
}

/** The algorithm a key signs with, or an error naming what is not supported. */
export function algorithmOf(key: KeyObject): CustomerTokenAlgorithm {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new Error(
    `unsupported key (${key.asymmetricKeyType ?? key.type}${details?.namedCurve ? ` ${details.namedCurve}` : ''}): use EC P-256, Ed25519 or RSA of 2048 bits or more`,
  );
}

async function signingKey(privateKey: KeyObject): Promise<SigningKey> {
  const alg = algorithmOf(privateKey);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    privateKey,
    alg,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg },
  };
}

function keyInput(text: string) {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  return { key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' as const };
}
