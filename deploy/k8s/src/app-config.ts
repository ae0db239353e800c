import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** An app's config reader: takes an environment, returns the settings or throws ConfigError naming the variables. */
export type ConfigReader = (env: NodeJS.ProcessEnv) => unknown;

/**
 * The config reader of `apps/<app>`: the one function exported by `src/app/*-config.ts` whose name ends in
 * `Config` (STYLE.md: one typed config module per app reads each variable once). Loaded by path, as deploy
 * checks the apps' files: the apps are no libraries to import.
 */
export async function configReader(root: string, app: string): Promise<ConfigReader> {
  const dir = join(root, 'apps', app, 'src', 'app');
  const files = readdirSync(dir).filter((file) => file.endsWith('-config.ts'));
  if (files.length !== 1) throw new Error(`${dir}: expected one *-config.ts, found ${files.join(', ') || 'none'}`);
  const module = (await import(join(dir, files[0]))) as Record<string, unknown>;
  const readers = Object.entries(module).filter(
    ([name, value]) => typeof value === 'function' && name.endsWith('Config'),
  );
  if (readers.length !== 1) throw new Error(`${files[0]}: expected one exported *Config function`);
  return readers[0][1] as ConfigReader;
}

export interface ConfigRun {
  /** Every variable the reader asked for. */
  read: Set<string>;
  /** The settings it returned, or undefined when it threw. */
  settings?: Record<string, unknown>;
  error?: Error;
}

/** Runs a config reader on `env`, recording every variable it reads (an environment that watches its reads). */
export function runConfig(reader: ConfigReader, env: Record<string, string>): ConfigRun {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return typeof name === 'string' ? target[name] : undefined;
    },
  });
  try {
    return { read, settings: reader(watched) as Record<string, unknown> };
  } catch (error) {
    return { read, error: error as Error };
  }
}
