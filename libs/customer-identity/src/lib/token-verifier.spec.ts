import { SignJWT, UnsecuredJWT, base64url } from 'jose';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { customerSubject } from './customer-subject';
import { generateSigningKey, importSigningKey, type SigningKey } from './signing-key';
import { CustomerTokenSigner } from './token-signer';
import { CustomerTokenVerifier, KeysUnavailable, TokenRefused, type TokenVerifierSettings } from './token-verifier';

const ISSUER = 'http://idp.test';
const AUDIENCE = 'popup-store';
const subject = z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/);

describe('customer tokens', () => {
  let key: SigningKey;
  let other: SigningKey;
  let signer: CustomerTokenSigner;

  const settings = (extra: Partial<TokenVerifierSettings> = {}): TokenVerifierSettings => ({
    publicKey: JSON.stringify(key.publicJwk),
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256', 'EdDSA', 'RS256'],
    clockToleranceSeconds: 5,
    cacheSize: 1000,
    subject,
    ...extra,
  });

  /** A token with these claims, signed by `by` (default: the trusted key). */
  const token = (claims: Record<string, unknown>, by: SigningKey = key, header: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'u_alice', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60, ...claims })
      .setProtectedHeader({ alg: by.alg, kid: by.publicJwk.kid, ...header })
      .sign(by.privateKey);
  };

  async function refusal(verifier: CustomerTokenVerifier, jwt: string): Promise<string> {
    const error = await verifier.verify(jwt).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof TokenRefused)) throw new Error(`expected a refusal, got ${String(error)}`);
    return error.reason;
  }

  beforeAll(async () => {
    key = await generateSigningKey();
    other = await generateSigningKey();
    signer = new CustomerTokenSigner({ key, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 600 });
  });

  it('a signed-in customer is the sub derived from the name, stable, within the customer-id characters', async () => {
    const issued = await signer.sign('Alice Martin');
    expect(issued).toEqual({ accessToken: expect.any(String), expiresIn: 600, sub: customerSubject('Alice Martin') });
    expect(customerSubject('Alice Martin')).toBe(customerSubject('Alice Martin'));
    expect(customerSubject('Alice Martin')).not.toBe(customerSubject('Alice Martín'));
    expect(subject.safeParse(issued.sub).success).toBe(true);
    const verifier = new CustomerTokenVerifier(settings());
    expect(await verifier.verify(issued.accessToken)).toEqual({ sub: issued.sub, expiresAt: expect.any(Number) });
  });

  it('refuses every forged or unfit token with its reason', async () => {
    const verifier = new CustomerTokenVerifier(settings());
    const now = Math.floor(Date.now() / 1000);
    const publicPem = key.privateKey.export({ format: 'pem', type: 'pkcs8' });
    const [header, payload] = (await token({})).split('.');
    const rsa = await importSigningKey(
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    );
    const cases: [string, Promise<string> | string, string][] = [
      ['not a JWT', 'hello', 'malformed_token'],
      ['three dots of garbage', 'a.b.c', 'malformed_token'],
      ['expired', token({ exp: now - 60, iat: now - 120 }), 'expired_token'],
      ['not yet valid', token({ nbf: now + 600 }), 'token_not_yet_valid'],
      ['wrong issuer', token({ iss: 'http://evil.test' }), 'wrong_issuer'],
      ['wrong audience', token({ aud: 'another-shop' }), 'wrong_audience'],
      ['no exp', token({ exp: undefined }), 'invalid_token'],
      ['no sub', token({ sub: undefined }), 'invalid_token'],
      ['a sub outside the customer-id characters', token({ sub: 'a b' }), 'invalid_subject'],
      ['signed by another key', token({}, other, { kid: key.publicJwk.kid }), 'bad_signature'],
      [
        'a payload swapped under a valid signature',
        `${header}.${base64url.encode('{"sub":"u_mallory"}')}.${(await token({})).split('.')[2]}`,
        'bad_signature',
      ],
      [
        'alg none',
        new UnsecuredJWT({ sub: 'u_mallory', iss: ISSUER, aud: AUDIENCE, exp: now + 60 }).encode(),
        'unsupported_algorithm',
      ],
      [
        'HS256 with the public key as the secret',
        new SignJWT({ sub: 'u_mallory', iss: ISSUER, aud: AUDIENCE, exp: now + 60 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
        'unsupported_algorithm',
      ],
      [
        'HS256 with the PEM as the secret',
        new SignJWT({ sub: 'u_mallory', iss: ISSUER, aud: AUDIENCE, exp: now + 60 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(publicPem as string)),
        'unsupported_algorithm',
      ],
      ['an allowed algorithm that is not the key’s', token({}, rsa), 'invalid_token'],
      ['ES384, not on the list', `${base64url.encode('{"alg":"ES384"}')}.${payload}.AAAA`, 'unsupported_algorithm'],
    ];
    for (const [what, jwt, reason] of cases) {
      expect([what, await refusal(verifier, await jwt)]).toEqual([what, reason]);
    }
    expect(verifier.cached).toBe(0);
  });

  it('remembers a verified token until its exp, and no longer; the memory is bounded', async () => {
    const verifier = new CustomerTokenVerifier(settings({ cacheSize: 3 }));
    const issued = await signer.sign('bob');
    const { expiresAt } = await verifier.verify(issued.accessToken);
    expect(await verifier.verify(issued.accessToken, expiresAt - 1000)).toMatchObject({ sub: issued.sub });
    expect(await refusal(verifierAt(verifier, expiresAt + 60_000), issued.accessToken)).toBe('expired_token');
    for (let i = 0; i < 10; i++) await verifier.verify((await signer.sign(`c${i}`)).accessToken);
    expect(verifier.cached).toBe(3);
  });

  it('takes the keys from a JWKS URL; an unknown kid is refused, an unreachable JWKS is not the customer’s fault', async () => {
    const keys = { keys: [key.publicJwk] };
    const server: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(keys));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    try {
      const verifier = new CustomerTokenVerifier(settings({ publicKey: undefined, jwksUrl }));
      const issued = await signer.sign('carol');
      expect((await verifier.verify(issued.accessToken)).sub).toBe(issued.sub);
      expect(await refusal(verifier, await token({}, other))).toBe('unknown_key');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const away = new CustomerTokenVerifier(settings({ publicKey: undefined, jwksUrl }));
    await expect(away.verify((await signer.sign('dave')).accessToken)).rejects.toBeInstanceOf(KeysUnavailable);
  });

  it('takes a PEM public key, and refuses keys it cannot sign customers with', async () => {
    const spki = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }) as string;
    expect(() => new CustomerTokenVerifier(settings({ publicKey: spki }))).not.toThrow();
    await expect(
      importSigningKey(
        generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({
          format: 'pem',
          type: 'pkcs8',
        }) as string,
      ),
    ).rejects.toThrow(/unsupported key/);
  });
});

/** The same verifier's settings, judged at another moment (a fresh cache: the point is what jose says then). */
function verifierAt(verifier: CustomerTokenVerifier, at: number): CustomerTokenVerifier {
  const settings = (verifier as unknown as { settings: TokenVerifierSettings }).settings;
  const later = new CustomerTokenVerifier(settings);
  const verify = later.verify.bind(later);
  later.verify = (token: string) => verify(token, at);
  return later;
}
