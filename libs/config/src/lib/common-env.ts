import { z } from 'zod';
import { redisEnv } from './redis-env';

/** The sale every key of a process belongs to (the hash tag of its keys). */
export const saleId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64')
  .default('popup');

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/**
 * Where a stream consumer without an HTTP API of its own answers `/health/live` and `/health/ready`: port 0 (the
 * default) is a free port the service logs; set one where something probes it (an orchestrator).
 */
export const healthEnv = {
  HEALTH_PORT: port(0),
  HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
};

/**
 * A stream consumer's name in its consumer groups (`CONSUMER_NAME`): one per process of a service, and the same
 * after a restart, so a restarted process takes back at once what it held. The launcher's `--replicas` sets one
 * per process.
 */
export const consumerName = z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, _, . and -, at most 64');

/** The variables every service reads. */
export const commonEnv = {
  ...redisEnv,
  SALE_ID: saleId,
  LOG_LEVEL: logLevel,
};
