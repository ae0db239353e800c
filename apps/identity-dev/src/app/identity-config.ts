import { ConfigError, logLevel, port, positiveInt, readEnv } from '@popup-store/config';
import { z } from 'zod';

/** The development identity provider's settings, read once at boot; the defaults work on one machine. */
export function identityConfig(env: NodeJS.ProcessEnv = process.env) {
  if (env['NODE_ENV'] === 'production') {
    throw new ConfigError([
      'NODE_ENV: production; identity-dev signs a token for any name typed in, so it never runs in production (use the shop’s identity provider)',
    ]);
  }
  const config = readEnv(
    {
      PORT: port(4000),
      HOST: z.string().default('127.0.0.1'),
      LOG_LEVEL: logLevel,
      /** The `iss` of its tokens and the base of its endpoints' URLs: how clients reach it. */
      IDENTITY_ISSUER: z.url().optional(),
      /** The `aud` of its tokens: customer-intake's CUSTOMER_TOKEN_AUDIENCE. */
      IDENTITY_AUDIENCE: z.string().min(1).default('popup-store'),
      IDENTITY_TOKEN_TTL_SECONDS: positiveInt(3600),
      /** A private key to sign with (PEM or JWK: EC P-256, Ed25519 or RSA); unset, a fresh ES256 pair at each start. */
      IDENTITY_SIGNING_KEY: z.string().optional(),
      /**
       * Origins `/authorize` may redirect to, comma-separated; `:*` stands for any port. Anything else is a 400, so
       * the sign-in page cannot hand a token to another site.
       */
      IDENTITY_REDIRECT_ORIGINS: z
        .string()
        .default('http://localhost:*,http://127.0.0.1:*')
        .transform((text) =>
          text
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean),
        ),
    },
    env,
  );
  return { ...config, issuer: config.IDENTITY_ISSUER?.replace(/\/$/, '') ?? `http://127.0.0.1:${config.PORT}` };
}

export type IdentityConfig = ReturnType<typeof identityConfig>;
