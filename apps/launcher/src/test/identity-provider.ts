import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IdentityProvider {
  readonly url: string;
  readonly authorizeUrl: string;
  close(): Promise<void>;
}

/**
 * A stand-in for the development identity provider of issue 12 (its contract: `GET /authorize?redirect_uri&state`
 * answers a sign-in form for a name, which redirects to `redirect_uri#access_token=...&token_type=Bearer&
 * expires_in=...&state=...`), until that provider is built. The token is an ES256 JWT whose `sub` is the name.
 */
export async function startIdentityProvider(): Promise<IdentityProvider> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = (name: string) => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${part({ alg: 'ES256', typ: 'JWT' })}.${part({ sub: name, name, iat: now, exp: now + 3600 })}`;
    const signature = sign('sha256', Buffer.from(unsigned), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${unsigned}.${signature.toString('base64url')}`;
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://idp');
    const redirect = url.searchParams.get('redirect_uri') ?? '';
    const state = url.searchParams.get('state') ?? '';
    const name = url.searchParams.get('name');
    if (url.pathname !== '/authorize' || !/^http:\/\/127\.0\.0\.1:\d+\//.test(redirect)) {
      response.writeHead(400).end('bad request');
    } else if (name) {
      const fragment = new URLSearchParams({
        access_token: token(name),
        token_type: 'Bearer',
        expires_in: '3600',
        state,
      });
      response.writeHead(302, { location: `${redirect}#${fragment}` }).end();
    } else {
      const hidden = (key: string, value: string) =>
        `<input type="hidden" name="${key}" value="${value.replace(/"/g, '&quot;')}">`;
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          `<!doctype html><html lang="en"><title>Sign in</title><form action="/authorize">` +
            `${hidden('redirect_uri', redirect)}${hidden('state', state)}` +
            `<label>Name <input name="name" required></label><button>Sign in</button></form></html>`,
        );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    authorizeUrl: `${url}/authorize`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
