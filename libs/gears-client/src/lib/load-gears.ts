import type { Redis } from 'ioredis';
import { GearsErrorCode, toGearsError, GearsError } from './gears-error';
import { POPUP_LIBRARY, type GearsLibrary } from './library';

export interface LoadGearsResult {
  /** `loaded` when this call replaced (or first loaded) the library, `unchanged` when that version was there. */
  readonly outcome: 'loaded' | 'unchanged';
  readonly version: string;
  /** The version found before, null when the library was not loaded. */
  readonly previous: string | null;
}

/**
 * Makes sure `library` is the loaded popup library: FUNCTION LOAD REPLACE only when the loaded version differs,
 * so every service can call this at boot. Replacing is atomic for FCALLs in flight. With a Redis Cluster, call
 * it once per primary.
 */
export async function loadGears(redis: Redis, library: GearsLibrary = POPUP_LIBRARY): Promise<LoadGearsResult> {
  const previous = await loadedVersion(redis);
  if (previous === library.version) return { outcome: 'unchanged', version: library.version, previous };
  try {
    await redis.call('FUNCTION', 'LOAD', 'REPLACE', library.source);
  } catch (error) {
    throw toGearsError(error, 'FUNCTION LOAD');
  }
  return { outcome: 'loaded', version: library.version, previous };
}

/** The version of the loaded popup library, or null when none is loaded. */
export async function loadedVersion(redis: Redis): Promise<string | null> {
  try {
    return String(await redis.call('FCALL_RO', 'popup_version', 0));
  } catch (error) {
    const mapped = toGearsError(error, 'popup_version');
    if (mapped instanceof GearsError && mapped.code === GearsErrorCode.LibraryNotLoaded) return null;
    throw mapped;
  }
}
