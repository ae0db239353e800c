import { Cluster, type Redis } from 'ioredis';
import { clusterMasters, MasterConnections } from './cluster-masters';
import { GearsErrorCode, toGearsError, GearsError } from './gears-error';
import type { RedisConnection } from './gears-function';
import { POPUP_LIBRARY, type GearsLibrary } from './library';

export interface LoadGearsResult {
  /** `loaded` when this call replaced (or first loaded) the library, `unchanged` when that version was there. */
  readonly outcome: 'loaded' | 'unchanged';
  readonly version: string;
  /** The version found before, null when the library was not loaded (on a cluster: on the first master loaded). */
  readonly previous: string | null;
  /** On a cluster: what each master had and got, by `host:port`. */
  readonly masters?: readonly MasterLoad[];
}

export interface MasterLoad {
  /** `host:port` of the master. */
  readonly node: string;
  readonly outcome: LoadGearsResult['outcome'];
  readonly previous: string | null;
}

/**
 * Makes sure `library` is the loaded popup library: FUNCTION LOAD REPLACE only when the loaded version differs,
 * so every service can call this at boot. Replacing is atomic for FCALLs in flight. On a Redis Cluster it does
 * so on every live master, masters without slots included (Redis replicates the library to their replicas);
 * `GearsWatcher` does it again whenever a master appears.
 */
export async function loadGears(redis: RedisConnection, library: GearsLibrary = POPUP_LIBRARY): Promise<LoadGearsResult> {
  if (!(redis instanceof Cluster)) return loadOnNode(redis, library);
  const connections = new MasterConnections(redis);
  try {
    return await loadGearsOnMasters(redis, connections, library);
  } finally {
    connections.close();
  }
}

/** `loadGears` on every live master of `cluster`, through `connections` (kept open by a watcher between checks). */
export async function loadGearsOnMasters(
  cluster: Cluster,
  connections: MasterConnections,
  library: GearsLibrary = POPUP_LIBRARY,
): Promise<LoadGearsResult> {
  const masters = await clusterMasters(cluster);
  connections.close(masters);
  const loads = await Promise.all(
    masters.map(async (master) => {
      const result = await connections.on(master, (node) => loadOnNode(node, library));
      return { node: `${master.host}:${master.port}`, outcome: result.outcome, previous: result.previous };
    }),
  );
  const firstLoaded = loads.find((load) => load.outcome === 'loaded');
  return {
    outcome: firstLoaded ? 'loaded' : 'unchanged',
    version: library.version,
    previous: firstLoaded ? firstLoaded.previous : library.version,
    masters: loads,
  };
}

async function loadOnNode(redis: Redis, library: GearsLibrary): Promise<LoadGearsResult> {
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
