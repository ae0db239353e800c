import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StorefrontSettings {
  /** The storefront's build: index.html and hashed files under assets/. */
  readonly dir: string | undefined;
  /** The default sale: the page at `/`. */
  readonly saleId: string;
  /** Whether this intake sells a sale, whose page `/s/:sale` is then; only the default sale when left out. */
  readonly sells?: (saleId: string) => boolean;
  /** The identity provider's authorize endpoint the page sends shoppers to. */
  readonly signInUrl: string | undefined;
}

/** Where `nx run storefront:build` puts the page: dist/apps/storefront, beside intake's dist/apps/customer-intake. */
const BUILT_BESIDE = join(__dirname, '..', 'storefront');

/** Vite names every asset by its content hash: a name never changes content, so it may be kept for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The page talks to its own origin only; CSP makes the browser hold it to that (a sign-in is a navigation, which
 * CSP leaves alone). `data:` images for the empty favicon, which spares a request.
 */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The page names the current build's assets: asked again each time, answered 304 while unchanged.
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves the storefront on intake's own origin: the page at `/` (the default sale) and `/s/<sale>` (404 with the
 * same page, which says so, for a sale this intake does not sell), its assets at `/assets/`. The page's settings (the sale, where
 * to sign in) are written into its `storefront-config` meta here, so one build serves any deployment and the page
 * needs no request to learn them. Resolves the folder it serves, or undefined, serving nothing, when the storefront has not been built.
 */
export async function serveStorefront(
  app: NestFastifyApplication,
  settings: StorefrontSettings,
): Promise<string | undefined> {
  const dir = settings.dir ?? BUILT_BESIDE;
  const template = await readFile(join(dir, 'index.html'), 'utf8').catch(() => undefined);
  if (template === undefined) return undefined;
  const pageConfig = JSON.stringify({ sale: settings.saleId, signInUrl: settings.signInUrl ?? null });
  const page = template.replace('content="{}"', `content="${escapeAttribute(pageConfig)}"`);
  const etag = `"${createHash('sha256').update(page).digest('base64url').slice(0, 22)}"`;

  const sendPage = (request: FastifyRequest, reply: FastifyReply, status: number) => {
    void reply.headers({ ...PAGE_HEADERS, etag });
    if (status === 200 && request.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.status(status).send(page);
  };

  const sells = settings.sells ?? ((saleId: string) => saleId === settings.saleId);
  const plugin: FastifyPluginAsync = async (fastify) => {
    await fastify.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: '/assets/',
      // One route per file found at boot, so a missing asset falls through to Nest's 404 like any unknown path.
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply) => void reply.header('cache-control', IMMUTABLE),
    });
    fastify.get('/', (request, reply) => sendPage(request, reply, 200));
    fastify.get<{ Params: { sale: string } }>('/s/:sale', (request, reply) =>
      sendPage(request, reply, sells(request.params.sale) ? 200 : 404),
    );
  };
  await app.getHttpAdapter().getInstance().register(plugin);
  return dir;
}

function escapeAttribute(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
