import type { Cluster } from 'ioredis';
import { POPUP_LIBRARY, type GearsLibrary } from './library';
import { MasterConnections } from './cluster-masters';
import { loadGearsOnMasters, type LoadGearsResult, type MasterLoad } from './load-gears';

export interface GearsWatcherOptions {
  readonly cluster: Cluster;
  readonly library?: GearsLibrary;
  /** How often it asks the cluster for its masters, on top of each slot refresh of the client; 1000 ms by default. */
  readonly intervalMs?: number;
  /** Called for each master where the library had to be loaded (a new master, or one that lost it). */
  readonly onLoaded?: (load: MasterLoad) => void;
  /** Called when a check fails (a node unreachable mid-failover): the next check tries again. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Keeps the popup library on every master of a cluster: `loadGears` at `start`, then again whenever the client
 * refreshes its slots (a failover, a resharding) and every `intervalMs`, since a master added without slots
 * yet changes no slot. Each check costs one CLUSTER SHARDS and one FCALL_RO per master; it loads only where
 * the version differs.
 */
export class GearsWatcher {
  private readonly library: GearsLibrary;
  private readonly connections: MasterConnections;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<LoadGearsResult> | undefined;
  private readonly onRefresh = () => void this.checkQuietly();

  constructor(private readonly options: GearsWatcherOptions) {
    this.library = options.library ?? POPUP_LIBRARY;
    this.connections = new MasterConnections(options.cluster);
  }

  /** Loads the library on every master (rejecting when that fails, so a service fails at boot), then watches. */
  async start(): Promise<LoadGearsResult> {
    const first = await this.check();
    this.options.cluster.on('refresh', this.onRefresh);
    this.timer = setInterval(this.onRefresh, this.options.intervalMs ?? 1000);
    this.timer.unref();
    return first;
  }

  /** One check of every master; a check already under way is shared rather than doubled. */
  check(): Promise<LoadGearsResult> {
    this.running ??= loadGearsOnMasters(this.options.cluster, this.connections, this.library)
      .then((result) => {
        for (const load of result.masters ?? []) if (load.outcome === 'loaded') this.options.onLoaded?.(load);
        return result;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.options.cluster.off('refresh', this.onRefresh);
    this.connections.close();
  }

  private async checkQuietly(): Promise<void> {
    try {
      await this.check();
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
