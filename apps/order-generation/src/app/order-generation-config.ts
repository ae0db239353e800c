import { commonEnv, consumerName, healthEnv, positiveInt, readEnv } from '@popup-store/config';

/** order-generation's settings, read once at boot from the environment. */
export const orderGenerationConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readEnv(
    {
      ...commonEnv,
      ...healthEnv,
      /** Customer entries per read; each read becomes one pipeline of orders. */
      BATCH_SIZE: positiveInt(500),
      /** How long a read waits for customers before asking again. */
      BLOCK_MS: positiveInt(2000),
      /** Customer entries another consumer read but left unacknowledged this long (it died) are taken over. */
      RECLAIM_IDLE_MS: positiveInt(30_000),
      /** Its name in the `order-generation` group; `<hostname>-<pid>` when unset. */
      CONSUMER_NAME: consumerName.optional(),
    },
    env,
  );

export type OrderGenerationConfig = ReturnType<typeof orderGenerationConfig>;
