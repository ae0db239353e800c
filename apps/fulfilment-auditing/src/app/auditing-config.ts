import { commonEnv, consumerName, healthEnv, positiveInt, readEnv } from '@popup-store/config';
import { hostname } from 'node:os';
import { z } from 'zod';

/** fulfilment-auditing's settings, read once at boot from the environment. */
export const auditingConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readEnv(
    {
      ...commonEnv,
      ...healthEnv,
      /** Orders per FCALL (1 to 1000). */
      COMPLETION_BATCH: positiveInt(500).pipe(z.number().max(1000)),
      /**
       * Completion loops, each with its own connection: with two, Redis decides one batch while the other loop
       * reads the next, instead of idling between calls.
       */
      COMPLETION_LANES: positiveInt(2).pipe(z.number().max(16)),
      COMPLETION_BLOCK_MS: positiveInt(1000),
      /**
       * Entries another consumer read but left unsettled this long (it died) are taken over here: orders left
       * undecided by the completion lanes, completion records left unaudited by the auditor.
       */
      RECLAIM_IDLE_MS: positiveInt(15_000),
      /**
       * This process's consumer name, stable across restarts so it finds its own undecided orders first.
       * Set it per replica when running several.
       */
      CONSUMER_NAME: consumerName.default(`fulfilment-${hostname()}`),
      /** How often the running audit checks the stock, and whether the sale is over for the report. */
      AUDIT_INTERVAL_MS: positiveInt(1000),
    },
    env,
  );

export type AuditingConfig = ReturnType<typeof auditingConfig>;
export const AUDITING_CONFIG = Symbol('AuditingConfig');
