import { sessionFromRedirect, signInHref, storedSession } from './session';

class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims: object) => `${base64url({ alg: 'ES256' })}.${base64url(claims)}.c2ln`;

describe('signing in by redirect', () => {
  it('sends the shopper to the provider with where to come back and a fresh state, then keeps the token it returns', () => {
    const storage = new MemoryStorage();
    const href = new URL(signInHref('http://idp.test/authorize', 'http://shop.test/s/popup', storage));
    expect(href.origin + href.pathname).toBe('http://idp.test/authorize');
    expect(href.searchParams.get('redirect_uri')).toBe('http://shop.test/s/popup');
    const state = href.searchParams.get('state');
    expect(state).toMatch(/^[0-9a-f-]{36}$/);

    const jwt = token({ sub: 'ada', name: 'Ada Lovelace' });
    const session = sessionFromRedirect(
      `#access_token=${jwt}&token_type=Bearer&expires_in=600&state=${state}`,
      storage,
      1_000,
    );
    expect(session).toEqual({ token: jwt, customerId: 'ada', name: 'Ada Lovelace', expiresAt: 601_000 });
    expect(storedSession(storage, 2_000)).toEqual(session);
    expect(storedSession(storage, 601_000)).toBeUndefined();
  });

  it('ignores a token whose state this tab did not send, and a state used once already', () => {
    const storage = new MemoryStorage();
    const state = new URL(signInHref('http://idp.test/authorize', 'http://shop.test/', storage)).searchParams.get(
      'state',
    );
    const jwt = token({ sub: 'mallory' });
    expect(sessionFromRedirect(`#access_token=${jwt}&state=forged`, storage, 0)).toBeUndefined();
    expect(sessionFromRedirect(`#access_token=${jwt}&state=${state}`, storage, 0)?.customerId).toBe('mallory');
    expect(sessionFromRedirect(`#access_token=${jwt}&state=${state}`, new MemoryStorage(), 0)).toBeUndefined();
  });

  it('refuses a token without a subject and a damaged stored session', () => {
    const storage = new MemoryStorage();
    const state = new URL(signInHref('http://idp.test/authorize', 'http://shop.test/', storage)).searchParams.get(
      'state',
    );
    expect(sessionFromRedirect(`#access_token=${token({ name: 'x' })}&state=${state}`, storage, 0)).toBeUndefined();
    storage.setItem('popup.session', '{not json');
    expect(storedSession(storage, 0)).toBeUndefined();
  });
});
