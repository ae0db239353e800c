import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import { CustomerTokenSigner, type SigningKey } from '@popup-store/customer-identity';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import type { IdentityConfig } from './identity-config';
import { allowedRedirect } from './redirect-origins';
import { signInPage } from './sign-in-page';

const name = z.string().trim().min(1, 'a name is required').max(200, 'at most 200 characters');
const tokenRequest = z.object({ name });
const authorizeQuery = z.object({ redirect_uri: z.string().optional(), state: z.string().max(1000).default('') });
const authorizeForm = authorizeQuery.extend({ name: z.string().default('') });

/**
 * The development identity provider: signs customer tokens for any name, serves its public key as a JWKS and
 * an OpenID discovery document, and a sign-in page that hands the token back in the redirect's fragment (the
 * implicit flow, enough for a storefront in development).
 */
export async function identityServer(config: IdentityConfig, key: SigningKey): Promise<FastifyInstance> {
  const signer = new CustomerTokenSigner({
    key,
    issuer: config.issuer,
    audience: config.IDENTITY_AUDIENCE,
    ttlSeconds: config.IDENTITY_TOKEN_TTL_SECONDS,
  });
  const app = Fastify({ logger: { level: config.LOG_LEVEL }, bodyLimit: 4096 });
  await app.register(formbody);
  // A storefront in the browser may call /token and read the keys; only from the allowed origins.
  await app.register(cors, {
    origin: (origin, callback) =>
      callback(null, origin === undefined || allowedRedirect(origin, config.IDENTITY_REDIRECT_ORIGINS) !== undefined),
    methods: ['GET', 'POST'],
  });
  const refuse = (reply: FastifyReply, status: number, reason: string, message: string) =>
    reply.status(status).send({ statusCode: status, reason, message });

  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async () => ({ status: 'ok' }));

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return { keys: [key.publicJwk] };
  });

  app.get('/.well-known/openid-configuration', async () => ({
    issuer: config.issuer,
    jwks_uri: `${config.issuer}/.well-known/jwks.json`,
    authorization_endpoint: `${config.issuer}/authorize`,
    token_endpoint: `${config.issuer}/token`,
    response_types_supported: ['token'],
    grant_types_supported: ['implicit'],
    subject_types_supported: ['public'],
    token_endpoint_auth_methods_supported: ['none'],
    id_token_signing_alg_values_supported: [key.alg],
  }));

  app.post('/token', async (request, reply) => {
    const parsed = tokenRequest.safeParse(request.body);
    if (!parsed.success) return refuse(reply, 400, 'invalid', `name: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const issued = await signer.sign(parsed.data.name);
    void reply.header('cache-control', 'no-store');
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn };
  });

  app.get('/authorize', async (request, reply) => {
    const query = authorizeQuery.safeParse(request.query);
    const redirect = query.success && allowedRedirect(query.data.redirect_uri, config.IDENTITY_REDIRECT_ORIGINS);
    if (!query.success || !redirect) {
      return refuse(reply, 400, 'invalid_redirect_uri', 'redirect_uri must be a URL on IDENTITY_REDIRECT_ORIGINS');
    }
    return reply.type('text/html; charset=utf-8').send(signInPage(redirect.href, query.data.state));
  });

  app.post('/authorize', async (request, reply) => {
    const form = authorizeForm.safeParse(request.body);
    const redirect = form.success && allowedRedirect(form.data.redirect_uri, config.IDENTITY_REDIRECT_ORIGINS);
    if (!form.success || !redirect) {
      return refuse(reply, 400, 'invalid_redirect_uri', 'redirect_uri must be a URL on IDENTITY_REDIRECT_ORIGINS');
    }
    const customer = name.safeParse(form.data.name);
    if (!customer.success) {
      return reply
        .status(400)
        .type('text/html; charset=utf-8')
        .send(signInPage(redirect.href, form.data.state, customer.error.issues[0]?.message));
    }
    const issued = await signer.sign(customer.data);
    const fragment = new URLSearchParams({
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: String(issued.expiresIn),
      state: form.data.state,
    });
    redirect.hash = fragment.toString();
    return reply.header('cache-control', 'no-store').redirect(redirect.href, 303);
  });

  return app;
}
