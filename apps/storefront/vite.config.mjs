import { defineConfig } from 'vite';

const api = process.env.STOREFRONT_API ?? 'http://127.0.0.1:3000';

/**
 * The page is built into dist/apps/storefront, which customer-intake serves at `/` (same origin as the API, so the
 * page talks to nothing else). Hashed names under assets/ let intake mark them immutable.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: '../../dist/apps/storefront',
    emptyOutDir: true,
    target: 'es2022',
    // One small script: a preload polyfill would cost more than it saves.
    modulePreload: { polyfill: false },
  },
  server: {
    // The dev server passes the API on to a running customer-intake; sign-in comes from the same variable intake reads.
    proxy: { '/api': api },
  },
  plugins: [
    {
      name: 'storefront-dev-config',
      apply: 'serve',
      transformIndexHtml: (html) =>
        html.replace(
          'content="{}"',
          `content="${JSON.stringify({ signInUrl: process.env.STOREFRONT_SIGN_IN_URL ?? null }).replaceAll('"', '&quot;')}"`,
        ),
    },
  ],
});
