import { CustomerTokenSigner, importSigningKey } from '@popup-store/customer-identity';
import { Pool } from 'undici';

/** How the crowd signs in: with the identity provider's own key (fast, for big crowds), or through its /token. */
export type SignInSource =
  | { readonly signingKey: string; readonly issuer: string; readonly audience: string }
  | { readonly identityUrl: string };

const TOKEN_CONNECTIONS = 16;

/**
 * Every customer's `Authorization: Bearer <token>`, signed in before the crowd arrives (a shopper is signed in
 * before the sale opens), so the schedule measures the store and not the sign-ins. Each distinct name signs in
 * once: a customer ordering again sends the same token, as a browser would.
 */
export async function signInCrowd(names: Iterable<string>, source: SignInSource): Promise<Map<string, string>> {
  const distinct = [...new Set(names)];
  const bearers = new Map<string, string>();
  if ('signingKey' in source) {
    const signer = new CustomerTokenSigner({
      key: await importSigningKey(source.signingKey),
      issuer: source.issuer,
      audience: source.audience,
      // Long enough for any sale the crowd plays: a token must not expire mid-crowd.
      ttlSeconds: 6 * 3600,
    });
    for (const name of distinct) bearers.set(name, `Bearer ${(await signer.sign(name)).accessToken}`);
    return bearers;
  }
  const pool = new Pool(source.identityUrl, { connections: TOKEN_CONNECTIONS });
  try {
    let next = 0;
    const worker = async () => {
      while (next < distinct.length) {
        const name = distinct[next++] as string;
        const response = await pool.request({
          method: 'POST',
          path: '/token',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        });
        const body = (await response.body.json()) as { access_token?: string };
        if (response.statusCode !== 200 || !body.access_token) {
          throw new Error(`sign-in of ${name} at ${source.identityUrl}/token answered ${response.statusCode}`);
        }
        bearers.set(name, `Bearer ${body.access_token}`);
      }
    };
    await Promise.all(Array.from({ length: TOKEN_CONNECTIONS }, worker));
  } finally {
    await pool.close();
  }
  return bearers;
}

/**
 * A client address of its own per customer, as an edge proxy would forward it in `X-Forwarded-For`: the crowd
 * plays people at home, not a bot farm behind one address. `10.x.y.z`, one per customer index.
 */
export function addressOf(index: number): string {
  return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
}
