import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { GearsWatcher, loadGears, POPUP_LIBRARY, SaleGears, type LoadGearsResult } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import { connectRedis, isCluster, type RedisConnection } from '@popup-store/redis-connection';
import { AUDITING_CONFIG, type AuditingConfig } from './auditing-config';

export const AUDIT_REDIS = Symbol('AuditRedis');
export const ALERTS_CLIENT = Symbol('AlertsClient');

/** The auditor's command connection (the transport reads the streams on connections of its own). */
export const auditRedisProvider: Provider = {
  provide: AUDIT_REDIS,
  inject: [AUDITING_CONFIG],
  useFactory: (config: AuditingConfig) => {
    const redis = connectRedis(config, { name: 'fulfilment-auditing', redis: { maxRetriesPerRequest: 2 } });
    redis.on('error', () => undefined);
    return redis;
  },
};

/**
 * The gears of each sale, for the completion trigger to decide with and the sale watch to read the status by
 * (every AUDIT_INTERVAL_MS). This service's Redis user may FUNCTION LOAD, so a library that vanished (a Redis
 * restarted without it, a new master, a FUNCTION DELETE) is loaded again by the next call, for every service:
 * customer-intake answers 503 until then, then takes orders again.
 */
@Injectable()
export class SalesGears {
  private readonly logger = new Logger('Gears');
  private readonly bySale = new Map<string, SaleGears>();

  constructor(@Inject(AUDIT_REDIS) private readonly redis: RedisConnection) {}

  /** The gears of `sale`, on the auditor's connection. */
  of(sale: SaleKeys): SaleGears {
    let gears = this.bySale.get(sale.saleId);
    if (!gears) {
      gears = new SaleGears(this.redis, sale, {
        reload: POPUP_LIBRARY,
        onReload: (fn) =>
          this.logger.warn(`${fn}: the popup library was not loaded; loaded it again (${POPUP_LIBRARY.version})`),
      });
      this.bySale.set(sale.saleId, gears);
    }
    return gears;
  }

  /** Forgets a sale no longer served. */
  forget(sale: SaleKeys): void {
    this.bySale.delete(sale.saleId);
  }
}

/**
 * The popup library where this service decides: loaded at boot (the boot fails when it cannot be), and on a
 * cluster kept on every master by a GearsWatcher, so a master added for a resharding has it before its first slot.
 */
@Injectable()
export class GearsKeeper implements OnApplicationShutdown {
  private readonly logger = new Logger('Gears');
  private watcher: GearsWatcher | undefined;

  constructor(@Inject(AUDIT_REDIS) private readonly redis: RedisConnection) {}

  async load(): Promise<LoadGearsResult> {
    if (!isCluster(this.redis)) return loadGears(this.redis);
    this.watcher = new GearsWatcher({
      cluster: this.redis,
      onLoaded: (load) =>
        this.logger.warn(`loaded the popup library on ${load.node} (it had ${load.previous ?? 'none'})`),
      // Mid-failover a master may not answer: the next check (within a second) tries again.
      onError: (error) => this.logger.debug(`gears check: ${error instanceof Error ? error.message : String(error)}`),
    });
    return this.watcher.start();
  }

  onApplicationShutdown(): void {
    this.watcher?.stop();
  }
}
