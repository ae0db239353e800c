import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStorefront } from './storefront';

describe('the storefront on intake’s origin', () => {
  let dir: string;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storefront-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(
      join(dir, 'index.html'),
      '<html><head><meta name="storefront-config" content="{}" /><script src="/assets/index-AbC123.js"></script></head></html>',
    );
    await writeFile(join(dir, 'assets', 'index-AbC123.js'), 'console.log("shop")');
    const moduleRef = await Test.createTestingModule({}).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    const served = await serveStorefront(app, {
      dir,
      saleId: 'spring',
      sells: (saleId) => saleId === 'spring' || saleId === 'summer',
      signInUrl: 'http://idp.test/authorize?x="<y>"',
    });
    expect(served).toBe(dir);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('serves the page at / with its settings written in, revalidated each time, held to its own origin', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    const content = /content="([^"]*)"/.exec(page.body)?.[1] ?? '';
    const decoded = content
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&');
    expect(JSON.parse(decoded)).toEqual({ sale: 'spring', signInUrl: 'http://idp.test/authorize?x="<y>"' });

    const again = await get('/', { 'if-none-match': String(page.headers['etag']) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves the page for each sale it sells at /s/:sale, and 404 with the page (which says so) for another', async () => {
    expect((await get('/s/spring')).statusCode).toBe(200);
    expect((await get('/s/summer')).statusCode).toBe(200);
    const other = await get('/s/autumn');
    expect(other.statusCode).toBe(404);
    expect(other.body).toContain('storefront-config');
  });

  it('marks hashed assets immutable and knows no other file', async () => {
    const asset = await get('/assets/index-AbC123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log("shop")');
    expect((await get('/assets/index-Gone99.js')).statusCode).toBe(404);
    expect((await get('/index.html')).statusCode).toBe(404);
    expect((await get('/assets/../index.html')).statusCode).toBe(404);
  });

  it('serves nothing, and says so, when the storefront has not been built', async () => {
    const moduleRef = await Test.createTestingModule({}).compile();
    const bare = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await expect(
      serveStorefront(bare, { dir: join(dir, 'nothing'), saleId: 'spring', signInUrl: undefined }),
    ).resolves.toBeUndefined();
    await bare.close();
  });
});
