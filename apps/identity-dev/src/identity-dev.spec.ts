import {
  CustomerTokenVerifier,
  customerSubject,
  generateSigningKey,
  importSigningKey,
} from '@popup-store/customer-identity';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { identityConfig } from './app/identity-config';
import { identityServer } from './app/identity-server';

describe('identity-dev, the development identity provider', () => {
  let app: FastifyInstance;
  let base: string;
  let verifier: CustomerTokenVerifier;

  beforeAll(async () => {
    const key = await generateSigningKey();
    // The issuer is how clients reach it: listen first on a free port, then build the server that names it.
    const probe = await identityServer(identityConfig({ PORT: '0' }), key);
    await probe.listen({ port: 0, host: '127.0.0.1' });
    const { port } = probe.server.address() as AddressInfo;
    await probe.close();
    app = await identityServer(identityConfig({ PORT: String(port), LOG_LEVEL: 'silent' }), key);
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
    verifier = new CustomerTokenVerifier({
      jwksUrl: `${base}/.well-known/jwks.json`,
      issuer: base,
      audience: 'popup-store',
      algorithms: ['ES256', 'EdDSA', 'RS256'],
      clockToleranceSeconds: 5,
      cacheSize: 100,
      subject: z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/),
    });
  });
  afterAll(() => app.close());

  it('refuses to start with NODE_ENV=production', () => {
    expect(() => identityConfig({ NODE_ENV: 'production' })).toThrow(/NODE_ENV: production/);
    expect(() => identityConfig({ NODE_ENV: 'development' })).not.toThrow();
  });

  it('serves its discovery document, its JWKS and health', async () => {
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    expect(discovery).toMatchObject({
      issuer: base,
      jwks_uri: `${base}/.well-known/jwks.json`,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
    });
    const jwks = (await (await fetch(discovery['jwks_uri'] as string)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) }),
    ]);
    expect(jwks.keys[0]?.['d']).toBeUndefined();
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });

  it('POST /token signs in a name: a Bearer token with a stable sub, iss, aud, iat, exp that customer-intake’s verifier accepts through the JWKS', async () => {
    const signIn = async (body: unknown) =>
      fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const response = await signIn({ name: 'Ada Lovelace' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const token = (await response.json()) as { access_token: string };
    expect(token).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const claims = decodeJwt(token.access_token);
    expect(claims).toEqual({
      sub: customerSubject('Ada Lovelace'),
      iss: base,
      aud: 'popup-store',
      iat: expect.any(Number),
      exp: (claims.iat as number) + 3600,
    });
    expect((await verifier.verify(token.access_token)).sub).toBe(customerSubject('Ada Lovelace'));
    const again = decodeJwt(
      ((await (await signIn({ name: 'Ada Lovelace' })).json()) as { access_token: string }).access_token,
    );
    expect(again.sub).toBe(claims.sub);
    for (const bad of [{}, { name: '' }, { name: 42 }, { name: 'x'.repeat(201) }]) {
      const refused = await signIn(bad);
      expect([bad, refused.status, ((await refused.json()) as { reason: string }).reason]).toEqual([
        bad,
        400,
        'invalid',
      ]);
    }
  });

  it('GET /authorize shows a sign-in form; submitting it redirects with the token and the state in the fragment', async () => {
    const redirectUri = 'http://localhost:5173/callback';
    const page = await fetch(`${base}/authorize?redirect_uri=${encodeURIComponent(redirectUri)}&state=s%3C1%3E`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<input name="name"');
    expect(html).toContain('value="s&#60;1&#62;"');
    const submitted = await fetch(`${base}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ redirect_uri: redirectUri, state: 's<1>', name: 'Grace' }).toString(),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);
    const location = new URL(submitted.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(Object.fromEntries(fragment)).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: '3600',
      state: 's<1>',
    });
    expect((await verifier.verify(fragment.get('access_token') as string)).sub).toBe(customerSubject('Grace'));
    const nameless = await fetch(`${base}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ redirect_uri: redirectUri, state: '', name: ' ' }).toString(),
      redirect: 'manual',
    });
    expect(nameless.status).toBe(400);
  });

  it('redirects only to the allowed origins: anything else is a 400', async () => {
    for (const uri of [
      'https://evil.test/cb',
      'javascript:alert(1)',
      'not a url',
      'http://user:pw@localhost:5173/',
      '',
    ]) {
      const page = await fetch(`${base}/authorize?redirect_uri=${encodeURIComponent(uri)}&state=x`);
      expect([uri, page.status, ((await page.json()) as { reason: string }).reason]).toEqual([
        uri,
        400,
        'invalid_redirect_uri',
      ]);
      const post = await fetch(`${base}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ redirect_uri: uri, state: 'x', name: 'Eve' }).toString(),
        redirect: 'manual',
      });
      expect([uri, post.status]).toEqual([uri, 400]);
    }
    expect((await fetch(`${base}/authorize?state=x`)).status).toBe(400);
  });

  it('signs with a configured key when given one', async () => {
    const key = await generateSigningKey();
    const config = identityConfig({ IDENTITY_SIGNING_KEY: JSON.stringify(key.privateJwk), LOG_LEVEL: 'silent' });
    const loaded = await importSigningKey(config.IDENTITY_SIGNING_KEY as string);
    const server = await identityServer(config, loaded);
    const jwks = (await server.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys[0].kid).toBe(key.publicJwk.kid);
    await server.close();
  });
});
