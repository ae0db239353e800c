import { CustomerTokenSigner, CustomerTokenVerifier, importSigningKey } from '@popup-store/customer-identity';
import { customerContract } from '@popup-store/contracts';
import { createHmac, randomBytes } from 'node:crypto';
import type { Figures } from './figures';
import type { BenchIdentity } from './identity';

/**
 * What a signed-in customer costs customer-intake, in this process: µs per verification of a fresh token (jose,
 * ES256, the key fixed), per verification of a token verified before (the cache), and, as the baseline beside
 * them, per HMAC-SHA256 (what sealing or checking a ticket id costs). One token after the other: the µs are the
 * wall time of a sequential loop, on an otherwise idle process.
 */
export async function tokenCosts(identity: BenchIdentity, count: number): Promise<Figures> {
  const signer = new CustomerTokenSigner({
    key: await importSigningKey(identity.signingKey),
    issuer: identity.issuer,
    audience: identity.audience,
    ttlSeconds: 3600,
  });
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push((await signer.sign(`bench-${i}`)).accessToken);
  const verifier = new CustomerTokenVerifier({
    publicKey: identity.publicKey,
    issuer: identity.issuer,
    audience: identity.audience,
    algorithms: ['ES256', 'EdDSA', 'RS256'],
    clockToleranceSeconds: 5,
    cacheSize: count,
    subject: customerContract.schema.shape.customerId,
  });
  const timed = async (each: (i: number) => unknown) => {
    const started = performance.now();
    for (let i = 0; i < count; i++) await each(i);
    return ((performance.now() - started) * 1000) / count;
  };
  const verifyMicros = await timed((i) => verifier.verify(tokens[i] as string));
  const cacheHitMicros = await timed((i) => verifier.verify(tokens[i] as string));
  const secret = randomBytes(32);
  const hmacMicros = await timed((i) => createHmac('sha256', secret).update(`ticket\n${i}\nu_customer`).digest());
  return { verifyMicros, cacheHitMicros, hmacMicros, verificationsPerCacheHit: verifyMicros / cacheHitMicros };
}
