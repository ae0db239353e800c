/** Where a test's Redis comes from, in order of preference. */
export type RedisSource = 'env' | 'container' | 'spawned';

export interface SourceChoice {
  /** The environment to read `REDIS_URL` from. */
  env: NodeJS.ProcessEnv;
  /** Fault tests kill and restart Redis, so they need one the harness starts, never the one `REDIS_URL` names. */
  owned: boolean;
  /** Answers whether a Docker engine is reachable. */
  dockerAvailable: () => Promise<boolean>;
}

/** `REDIS_URL` when set (and the test does not need to own Redis), else a container when Docker answers, else a spawned process. */
export async function chooseRedisSource({ env, owned, dockerAvailable }: SourceChoice): Promise<RedisSource> {
  if (!owned && env['REDIS_URL']) return 'env';
  if (env['POPUP_TEST_REDIS'] === 'spawned') return 'spawned';
  return (await dockerAvailable()) ? 'container' : 'spawned';
}
