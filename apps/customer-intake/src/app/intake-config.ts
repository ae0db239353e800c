import { commonEnv, ConfigError, healthEnv, port, positiveInt, readEnv } from '@popup-store/config';
import { customerContract } from '@popup-store/contracts';
import { CUSTOMER_TOKEN_ALGORITHMS, importPublicKey } from '@popup-store/customer-identity';
import { z } from 'zod';

const commaList = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** customer-intake's settings, read once at boot from the environment. */
export const intakeConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const config = readEnv(
    {
      ...commonEnv,
      PORT: port(3000),
      /** 127.0.0.1 by default; the compose stack sets 0.0.0.0. */
      HOST: z.string().default('127.0.0.1'),
      /** The storefront's build, served at `/` (storefront/storefront.ts); unset: the one beside intake's in dist/. */
      STOREFRONT_DIR: z.string().optional(),
      /** The identity provider's authorize endpoint, where the storefront sends shoppers to sign in (unset: the
       * issuer's `/authorize`, as identity-dev has it). */
      STOREFRONT_SIGN_IN_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
      /** Admission control: above this many undecided orders, new ones get 429 so a crowd cannot drown Redis. */
      MAX_BACKLOG: positiveInt(20_000),
      /** An order body is at most a customer id: anything bigger is refused before parsing. */
      BODY_LIMIT_BYTES: positiveInt(1024),
      /** Orders per second one customer (the token's `sub`) may send before 429. */
      RATE_LIMIT_PER_SECOND: positiveInt(50),
      /** `GET /api/orders/:id` per second one customer may send before 429: follow a ticket with the event stream. */
      STATUS_POLLS_PER_SECOND: positiveInt(5),
      /** Distinct customers one client address may order for in a minute before 429 (bots behind one address). */
      MAX_CUSTOMERS_PER_ADDRESS: positiveInt(30),
      /**
       * Proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges, comma-separated; Fastify's
       * `trustProxy`). Unset: the client address is the socket's.
       */
      TRUSTED_PROXIES: commaList.optional(),
      /** How often the cached sale status (state, stock, backlog) is refreshed from Redis. */
      STATUS_REFRESH_MS: positiveInt(100),
      /**
       * How often the sales served (the default sale and the registry, `popup:sales`) are read again: a sale the
       * operator creates on another intake is sold here at most this much later (404 `unknown_sale` until then).
       */
      SALE_REGISTRY_REFRESH_MS: positiveInt(1000),
      /** Redis commands slower than this fail, so a request answers 503 instead of hanging. */
      REDIS_TIMEOUT_MS: positiveInt(1000),
      /**
       * Replicas that must hold a customer entry before its 202 (WAIT on the entry's master): a failover then loses
       * no ticket. 1 on a cluster (REDIS_CLUSTER_NODES), 0 on one Redis; a write fewer replicas took in
       * REDIS_WAIT_TIMEOUT_MS answers 503.
       */
      REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).optional(),
      REDIS_WAIT_TIMEOUT_MS: positiveInt(500),
      /**
       * `/health/live` and `/health/ready` on a listener of their own, outside every bound of the API's port (its
       * connections, shedding), so probes answer while the limits bite (port 0: a free port, logged). The API's port
       * keeps answering them too.
       */
      ...healthEnv,
      /** Connections the API's port holds at once; past it a new one gets 503 `too_many_connections` and is closed. */
      MAX_CONNECTIONS: positiveInt(10_000),
      /** Connections one peer address (the socket's: a trusted proxy's are not counted) holds before 503. */
      MAX_CONNECTIONS_PER_ADDRESS: positiveInt(256),
      /** Open `GET /api/sale/events` streams, in total, before 503 `too_many_streams`. */
      MAX_EVENT_STREAMS: positiveInt(5_000),
      /** Open event streams per client address (request.ip, as MAX_CUSTOMERS_PER_ADDRESS has it) before 429. */
      MAX_EVENT_STREAMS_PER_ADDRESS: positiveInt(8),
      /** A comment on every event stream this often, so proxies keep it open and a client that left is noticed. */
      SALE_EVENTS_HEARTBEAT_MS: positiveInt(15_000),
      /** At most one `sale` event per stream this often: during a sale the stock changes at every status refresh. */
      SALE_EVENTS_INTERVAL_MS: positiveInt(250),
      /** The whole request (headers and body) must have arrived within this, or 408 `timeout` and the connection closes. */
      REQUEST_TIMEOUT_MS: positiveInt(10_000),
      /** The headers must have arrived within this (at most REQUEST_TIMEOUT_MS). */
      HEADERS_TIMEOUT_MS: positiveInt(5_000),
      /**
       * A kept-alive connection with no request is closed after this. Fastify's 72 s: longer than the 60 s a proxy
       * (nginx, a cloud load balancer) keeps an idle upstream connection, so none reuses one intake is closing.
       */
      IDLE_TIMEOUT_MS: positiveInt(72_000),
      /**
       * Shedding: while the event loop lags more than this (mean over a second, @fastify/under-pressure), a new
       * request gets 503 `overloaded` with Retry-After before any work; requests already taken go on.
       */
      MAX_EVENT_LOOP_DELAY_MS: positiveInt(200),
      /** Shedding: API requests in progress at once (event streams and health aside) before 503 `overloaded`. */
      MAX_IN_FLIGHT: positiveInt(2_000),
      /** Customers whose order and poll rates are counted at once; past it the oldest count is forgotten. */
      RATE_LIMIT_TRACKED_CUSTOMERS: positiveInt(100_000),
      /** Where the identity provider publishes its keys (JWKS); fetched and refreshed as jose's remote set does. */
      CUSTOMER_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
      /** Or one fixed public key (PEM or JWK) that customer tokens are signed with. */
      CUSTOMER_TOKEN_PUBLIC_KEY: z.string().optional(),
      /** The `iss` every customer token must carry (required). */
      CUSTOMER_TOKEN_ISSUER: z.string().optional(),
      /** The `aud` every customer token must carry. */
      CUSTOMER_TOKEN_AUDIENCE: z.string().min(1).default('popup-store'),
      /** The algorithms a token may be signed with: asymmetric ones only. */
      CUSTOMER_TOKEN_ALGORITHMS: commaList
        .pipe(z.array(z.enum(CUSTOMER_TOKEN_ALGORITHMS)).min(1))
        .default([...CUSTOMER_TOKEN_ALGORITHMS]),
      /** Clock skew allowed on `exp` and `nbf`. */
      CUSTOMER_TOKEN_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
      /** Verified tokens remembered until their `exp`, so a retry costs no second signature check. */
      CUSTOMER_TOKEN_CACHE_SIZE: positiveInt(100_000),
      /**
       * The key of the HMAC every ticket id carries (32 characters or more); the same for every intake of a sale,
       * so a ticket reads on any. Unset: a random one per process, and tickets read 404 after a restart.
       */
      TICKET_SECRET: z.string().min(32, 'at least 32 characters').optional(),
      /** How long an `Idempotency-Key` keeps its ticket. */
      IDEMPOTENCY_TTL_SECONDS: positiveInt(86_400),
      /** How often this process brings the waiting room up to date and tells the customers it streams to. */
      QUEUE_WATCH_MS: positiveInt(250),
      /** Live line streams one process holds at most; beyond, 503 `too_many_streams`. */
      MAX_QUEUE_STREAMS: positiveInt(5_000),
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
  if (config.HEADERS_TIMEOUT_MS > config.REQUEST_TIMEOUT_MS) {
    throw new ConfigError(['HEADERS_TIMEOUT_MS: at most REQUEST_TIMEOUT_MS (the headers are part of the request)']);
  }
  return {
    ...config,
    REDIS_WAIT_REPLICAS: config.REDIS_WAIT_REPLICAS ?? (config.REDIS_CLUSTER_NODES ? 1 : 0),
    customerTokens: verificationSetting(config),
  };
};

/** Exactly one source of keys and an issuer to verify customer tokens with, or the boot fails naming the variables. */
function verificationSetting(config: {
  CUSTOMER_JWKS_URL?: string;
  CUSTOMER_TOKEN_PUBLIC_KEY?: string;
  CUSTOMER_TOKEN_ISSUER?: string;
}) {
  const { CUSTOMER_JWKS_URL: jwksUrl, CUSTOMER_TOKEN_PUBLIC_KEY: publicKey, CUSTOMER_TOKEN_ISSUER: issuer } = config;
  const problems: string[] = [];
  if (!jwksUrl && !publicKey) {
    problems.push(
      'CUSTOMER_JWKS_URL or CUSTOMER_TOKEN_PUBLIC_KEY: required, the keys customer tokens are verified with (the development identity provider serves http://127.0.0.1:4000/.well-known/jwks.json)',
    );
  }
  if (jwksUrl && publicKey) problems.push('CUSTOMER_JWKS_URL and CUSTOMER_TOKEN_PUBLIC_KEY: set one of them, not both');
  if (publicKey) {
    try {
      importPublicKey(publicKey);
    } catch (error) {
      problems.push(`CUSTOMER_TOKEN_PUBLIC_KEY: not a PEM or JWK public key (${(error as Error).message})`);
    }
  }
  if (!issuer)
    problems.push(
      'CUSTOMER_TOKEN_ISSUER: required, the `iss` of customer tokens (the development identity provider: http://127.0.0.1:4000)',
    );
  if (problems.length || !issuer) throw new ConfigError(problems);
  return { jwksUrl, publicKey, issuer, subject: customerContract.schema.shape.customerId };
}

export type IntakeConfig = ReturnType<typeof intakeConfig>;
export const INTAKE_CONFIG = Symbol('IntakeConfig');
export const SALE_KEYS = Symbol('SaleKeys');
