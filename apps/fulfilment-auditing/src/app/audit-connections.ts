import type { Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AUDITING_CONFIG, type AuditingConfig } from './auditing-config';

export const AUDIT_REDIS = Symbol('AuditRedis');
export const ALERTS_CLIENT = Symbol('AlertsClient');

/** The auditor's command connection (the completion lanes have their own blocking ones). */
export const auditRedisProvider: Provider = {
  provide: AUDIT_REDIS,
  inject: [AUDITING_CONFIG],
  useFactory: (config: AuditingConfig) => {
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined);
    return redis;
  },
};
