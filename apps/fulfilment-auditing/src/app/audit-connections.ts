import { Logger, type Provider } from '@nestjs/common';
import { POPUP_LIBRARY, SaleGears } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import { Redis } from 'ioredis';
import { AUDITING_CONFIG, SALE_KEYS, type AuditingConfig } from './auditing-config';

export const AUDIT_REDIS = Symbol('AuditRedis');
export const ALERTS_CLIENT = Symbol('AlertsClient');
export const SALE_GEARS = Symbol('SaleGears');

/** The auditor's command connection (the transport reads the streams on connections of its own). */
export const auditRedisProvider: Provider = {
  provide: AUDIT_REDIS,
  inject: [AUDITING_CONFIG],
  useFactory: (config: AuditingConfig) => {
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined);
    return redis;
  },
};

/**
 * The gears the completion trigger decides with and the sale watch reads the status by (every
 * AUDIT_INTERVAL_MS). This service's Redis user may FUNCTION LOAD, so a library that vanished (a Redis restarted
 * without it, a new master, a FUNCTION DELETE) is loaded again by the next call, for every service:
 * customer-intake answers 503 until then, then takes orders again.
 */
export const saleGearsProvider: Provider = {
  provide: SALE_GEARS,
  inject: [AUDIT_REDIS, SALE_KEYS],
  useFactory: (redis: Redis, sale: SaleKeys) => {
    const logger = new Logger('Gears');
    return new SaleGears(redis, sale, {
      reload: POPUP_LIBRARY,
      onReload: (fn) =>
        logger.warn(`${fn}: the popup library was not loaded; loaded it again (${POPUP_LIBRARY.version})`),
    });
  },
};
