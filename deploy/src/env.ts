/**
 * The two pieces of Docker Compose's variable handling the stack relies on: reading `.env` and interpolating
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `$VAR` and
 * `$$` in every string of a compose file (https://docs.docker.com/compose/how-tos/environment-variables/).
 */

export type Env = Record<string, string>;

/** KEY=VALUE lines; `#` starts a comment line; values may be quoted. */
export function parseDotEnv(text: string): Env {
  const env: Env = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`.env line ${index + 1} is not KEY=VALUE: ${raw}`);
    const [, key, rest] = match;
    const quoted = /^(['"])(.*)\1$/.exec(rest);
    env[key] = quoted ? quoted[2] : rest.replace(/\s+#.*$/, '');
  }
  return env;
}

export class InterpolationError extends Error {}

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Interpolates one string; `missing` collects the names used without a value or a default. */
export function interpolate(value: string, env: Env, missing: Set<string> = new Set()): string {
  return value.replace(VARIABLE, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare) as string;
    const set = Object.prototype.hasOwnProperty.call(env, name);
    const current = set ? env[name] : undefined;
    const nonEmpty = current !== undefined && current !== '';
    switch (op) {
      case undefined:
        if (!set) missing.add(name);
        return current ?? '';
      case ':-':
        return nonEmpty ? (current as string) : interpolate(arg ?? '', env, missing);
      case '-':
        return set ? (current as string) : interpolate(arg ?? '', env, missing);
      case ':?':
        if (!nonEmpty) throw new InterpolationError(`${name}: ${arg || 'required'}`);
        return current as string;
      case '?':
        if (!set) throw new InterpolationError(`${name}: ${arg || 'required'}`);
        return current as string;
      case ':+':
        return nonEmpty ? interpolate(arg ?? '', env, missing) : '';
      case '+':
        return set ? interpolate(arg ?? '', env, missing) : '';
      default:
        throw new InterpolationError(`unsupported operator ${op} in ${whole}`);
    }
  });
}

/** Interpolates every string (not the keys) of a parsed YAML document. */
export function interpolateDeep<T>(value: T, env: Env, missing: Set<string> = new Set()): T {
  if (typeof value === 'string') return interpolate(value, env, missing) as T;
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env, missing)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, interpolateDeep(item, env, missing)]),
    ) as T;
  }
  return value;
}
