/**
 * Whether `uri` is an absolute http(s) URL whose origin is on the allow-list (`scheme://host:port`, or
 * `scheme://host:*` for any port of that host).
 */
export function allowedRedirect(uri: unknown, origins: readonly string[]): URL | undefined {
  if (typeof uri !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password) return undefined;
  const anyPort = `${url.protocol}//${url.hostname}:*`;
  return origins.some((origin) => origin === url.origin || origin === anyPort) ? url : undefined;
}
