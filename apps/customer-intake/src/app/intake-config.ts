import { commonEnv, port, positiveInt, readEnv } from '@popup-store/config';
import { z } from 'zod';

/** customer-intake's settings, read once at boot from the environment. */
export const intakeConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readEnv(
    {
      ...commonEnv,
      PORT: port(3000),
      /** 127.0.0.1 by default; the compose stack sets 0.0.0.0. */
      HOST: z.string().default('127.0.0.1'),
      /** The storefront's build, served at `/` (storefront/storefront.ts); unset: the one beside intake's in dist/. */
      STOREFRONT_DIR: z.string().optional(),
      /** The identity provider's authorize endpoint, where the storefront sends shoppers to sign in. */
      STOREFRONT_SIGN_IN_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
      /** Admission control: above this many undecided orders, new ones get 429 so a crowd cannot drown Redis. */
      MAX_BACKLOG: positiveInt(20_000),
      /** An order body is a customer id: anything bigger is refused before parsing. */
      BODY_LIMIT_BYTES: positiveInt(1024),
      /** Orders per second one client address may send before 429. */
      RATE_LIMIT_PER_SECOND: positiveInt(50),
      /** How often the cached sale status (state, stock, backlog) is refreshed from Redis. */
      STATUS_REFRESH_MS: positiveInt(100),
      /** Redis commands slower than this fail, so a request answers 503 instead of hanging. */
      REDIS_TIMEOUT_MS: positiveInt(1000),
      /** Bearer token of the operator endpoints (`/api/admin/...`); they answer 403 while it is unset. */
      ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
      /**
       * The Redis user of the operator endpoints, allowed to configure the sale (deploy/redis/users.acl: `operator`),
       * so that REDIS_URL's user needs no more than taking orders. REDIS_URL when unset.
       */
      ADMIN_REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    },
    env,
  );

export type IntakeConfig = ReturnType<typeof intakeConfig>;
export const INTAKE_CONFIG = Symbol('IntakeConfig');
export const SALE_KEYS = Symbol('SaleKeys');
