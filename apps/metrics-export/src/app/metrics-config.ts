import { commonEnv, consumerName, healthEnv, positiveInt, readEnv } from '@popup-store/config';
import { z } from 'zod';

/** metrics-export's settings, read once at boot from the environment. */
export function metricsConfig(env: NodeJS.ProcessEnv = process.env) {
  const read = readEnv(
    {
      ...commonEnv,
      ...healthEnv,
      /** How often the sale is sampled and every series gets a point. */
      METRICS_INTERVAL_MS: positiveInt(1000),
      /** The Prometheus scrape endpoint. Not 0: the exporter would take 0 for "unset" and listen on 9464. */
      METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9464),
      /** 127.0.0.1 by default; the compose stack sets 0.0.0.0. */
      METRICS_HOST: z.string().min(1).default('127.0.0.1'),
      /** How long a RedisTimeSeries series keeps its points. */
      TS_RETENTION_MS: positiveInt(3_600_000),
      /** Points kept per series without RedisTimeSeries; by default as many as TS_RETENTION_MS holds. */
      TS_FALLBACK_MAXLEN: z.coerce.number().int().positive().optional(),
      /** Its name in the `metrics` group; `<hostname>-<pid>` when unset. */
      CONSUMER_NAME: consumerName.optional(),
    },
    env,
  );
  return {
    ...read,
    TS_FALLBACK_MAXLEN: read.TS_FALLBACK_MAXLEN ?? Math.ceil(read.TS_RETENTION_MS / read.METRICS_INTERVAL_MS),
  };
}

export type MetricsConfig = ReturnType<typeof metricsConfig>;
export const METRICS_CONFIG = Symbol('MetricsConfig');
