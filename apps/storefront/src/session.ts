/**
 * Signing in through the shop's identity provider with a redirect (OAuth's implicit-style flow, as the development
 * provider offers it): the page navigates to the provider's authorize endpoint and comes back with the token in
 * the URL fragment. A navigation, not a fetch, so the page itself never calls another origin. The token lives in
 * sessionStorage: it survives the round trip and reloads of this tab, and dies with the tab.
 */

export interface Session {
  /** The bearer token, sent as is; the store verifies it. */
  readonly token: string;
  /** Who the token says the shopper is: the customer id of their orders. */
  readonly customerId: string;
  /** A name to greet them with: the token's `name`, else a short form of its opaque `sub`. */
  readonly name: string;
  /** ms since the epoch (local clock). */
  readonly expiresAt: number;
}

const SESSION_KEY = 'popup.session';
const STATE_KEY = 'popup.sign-in-state';

/** The authorize URL to send the shopper to; remembers the `state` it will check on the way back. */
export function signInHref(authorizeUrl: string, returnTo: string, storage: Storage): string {
  const state = crypto.randomUUID();
  storage.setItem(STATE_KEY, state);
  const url = new URL(authorizeUrl);
  url.searchParams.set('redirect_uri', returnTo);
  url.searchParams.set('state', state);
  return url.href;
}

/**
 * The session the provider just handed back in `hash` (`#access_token=...&expires_in=...&state=...`), if its
 * `state` is the one this tab sent: a fragment made up elsewhere does not sign anyone in.
 */
export function sessionFromRedirect(hash: string, storage: Storage, now: number): Session | undefined {
  const fragment = new URLSearchParams(hash.replace(/^#/, ''));
  const token = fragment.get('access_token');
  const expected = storage.getItem(STATE_KEY);
  if (!token || !expected || fragment.get('state') !== expected) return undefined;
  storage.removeItem(STATE_KEY);
  const expiresIn = Number(fragment.get('expires_in'));
  const session = fromToken(token, now, Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined);
  if (session) storage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** The session kept in this tab, unless it has expired. */
export function storedSession(storage: Storage, now: number): Session | undefined {
  try {
    const session = JSON.parse(storage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    if (session && typeof session.token === 'string' && session.expiresAt > now) return session;
  } catch {
    // Not ours or damaged: signed out.
  }
  storage.removeItem(SESSION_KEY);
  return undefined;
}

export function signOut(storage: Storage): void {
  storage.removeItem(SESSION_KEY);
}

/**
 * Reads the token's claims to know who is signed in. Not a verification: the page trusts nothing from it but a
 * name to show; customer-intake verifies the signature of every order.
 */
function fromToken(token: string, now: number, expiresInSeconds: number | undefined): Session | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as {
      sub?: unknown;
      name?: unknown;
      exp?: unknown;
    };
    if (typeof claims.sub !== 'string' || !claims.sub) return undefined;
    const expiresAt =
      expiresInSeconds !== undefined
        ? now + expiresInSeconds * 1000
        : typeof claims.exp === 'number'
          ? claims.exp * 1000
          : now + 3_600_000;
    return {
      token,
      customerId: claims.sub,
      name:
        typeof claims.name === 'string' && claims.name
          ? claims.name
          : claims.sub.length > 12
            ? `${claims.sub.slice(0, 10)}…`
            : claims.sub,
      expiresAt,
    };
  } catch {
    return undefined;
  }
}
