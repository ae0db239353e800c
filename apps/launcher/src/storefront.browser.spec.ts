/// <reference lib="dom" />
import { completionContract, rejectionContract } from '@popup-store/contracts';
import { parseDecision, redisNow, ROOM_DEFAULTS, SaleGears } from '@popup-store/gears-client';
import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { DIST_DIR, openSale, startServices, type RunningServices } from './test/pipeline';
import {
  accessibilityViolations,
  buyButtonBox,
  DESKTOP,
  launchChromium,
  layoutShift,
  newShopper,
  overflowing,
  PHONE,
  requestsOffOrigin,
  screenshot,
  stateOf,
  waitForState,
  signIn,
  signInWithToken,
  type Shopper,
} from './test/shoppers';

/** The default sale, so the page at `/` shows the catalogue's product. */
const sale = saleKeys('popup');
const SCREENSHOTS = process.env['STOREFRONT_SCREENSHOTS'] ?? join(DIST_DIR, 'storefront-e2e', 'screenshots');
const STOREFRONT_DIR = join(DIST_DIR, 'apps', 'storefront');

/**
 * The storefront (built into dist/apps/storefront, served by customer-intake) in Debian's Chromium, against every
 * service as a process on a real Redis, as `npm start` runs them. Each state the page can be in is screenshot on
 * a desktop and a phone, and checked with axe-core.
 */
describe('the storefront in a real browser', () => {
  let redis: TestRedis;
  let client: Redis;
  let gears: SaleGears;
  let dataDir: string;
  let identityUrl: string;
  let services: RunningServices;
  let browser: Browser;
  let shopUrl: string;
  const shoppers: Shopper[] = [];

  beforeAll(async () => {
    redis = await startTestRedis({ owned: true });
    client = redis.client();
    gears = new SaleGears(client, sale);
    // The services' logs stay beside the screenshots after the run, for a failure to be read.
    dataDir = join(DIST_DIR, 'storefront-e2e');
    await rm(dataDir, { recursive: true, force: true });
    await openSale(client, sale.saleId, 1);
    services = await startServices({
      redisUrl: redis.url,
      saleId: sale.saleId,
      dataDir,
      observer: client,
      env: {
        'customer-intake': {
          // Every browser here comes from 127.0.0.1: the limits per address would refuse the crowd (its orders, and
          // the event stream each page holds).
          MAX_CUSTOMERS_PER_ADDRESS: '1000',
          MAX_EVENT_STREAMS_PER_ADDRESS: '1000',
          // Forty Chromium pages load on the same two cores as intake and lag its event loop past the 200 ms at
          // which it sheds: the page itself then answered 503 in a fresh-clone CI run. Shedding is intake's bounds
          // spec's subject; here the pages are.
          MAX_EVENT_LOOP_DELAY_MS: '5000',
        },
        // Paused, Redis still runs the XREADGROUP a consumer sent and whose reply it stopped waiting for: the entries
        // it delivered then are only taken back by the reclaimer, after RECLAIM_IDLE_MS (30 s and 15 s by default).
        'order-generation': { RECLAIM_IDLE_MS: '2000' },
        'fulfilment-auditing': { RECLAIM_IDLE_MS: '2000' },
      },
    });
    shopUrl = `${services.intakeUrl}/`;
    // identity-dev, started with the services: intake sends shoppers to its /authorize (the issuer's, by default).
    identityUrl = services.identity.issuer;
    browser = await launchChromium();
  }, 120_000);

  // A test's pages close with it, failed or not: a page still retrying an order would buy from the next test's sale.
  afterEach(() => retire([...shoppers]), 60_000);

  afterAll(async () => {
    await browser?.close();
    await services?.stop();
    await redis?.dispose();
  }, 60_000);

  /** A fresh sale of `stock` units, opening `opensInMs` from now by Redis's clock, for ten minutes. */
  async function newSale(stock: number, opensInMs: number): Promise<number> {
    const startsAt = (await redisNow(client)) + opensInMs;
    await gears.configure({ stock, startsAt, endsAt: startsAt + 600_000, force: true });
    return startsAt;
  }

  async function shopper(viewport = DESKTOP): Promise<Shopper> {
    const made = await newShopper(browser, viewport);
    shoppers.push(made);
    return made;
  }

  /** What closed pages did, for the last test to judge: requests off the origin, layout shifts. */
  const offOrigin: string[] = [];
  const shifts: { score: number; moved: string[] }[] = [];
  async function retire(done: Shopper[]): Promise<void> {
    const shop = new URL(shopUrl).origin;
    for (const s of done) {
      offOrigin.push(...requestsOffOrigin(s, shop, new URL(identityUrl).origin));
      if (!s.page.isClosed()) shifts.push(await layoutShift(s.page).catch(() => ({ score: 0, moved: [] })));
      shoppers.splice(shoppers.indexOf(s), 1);
      await s.context.close();
    }
  }

  /** The customer id the page signed in as (the token's `sub`). */
  const customerOf = (page: Page) =>
    page.evaluate(
      () => (JSON.parse(sessionStorage.getItem('popup.session') ?? '{}') as { customerId: string }).customerId,
    );

  /** Every order Redis decided for a customer. */
  async function ordersOf(customerId: string): Promise<string[]> {
    const decided = async (
      stream: string,
      schema: typeof completionContract.schema | typeof rejectionContract.schema,
    ) =>
      (await client.xrange(stream, '-', '+'))
        .map(([, fields]) => schema.parse(JSON.parse(fields[fields.indexOf('data') + 1])))
        .filter((entry) => entry.customerId === customerId)
        .map((entry) => entry.orderId);
    return [
      ...(await decided(sale.completed, completionContract.schema)),
      ...(await decided(sale.rejected, rejectionContract.schema)),
    ];
  }

  /** The page shows `state`: screenshot it, and axe-core finds nothing wrong with it. */
  async function inState(subject: Shopper, state: string): Promise<void> {
    expect(await stateOf(subject.page)).toBe(state);
    await screenshot(subject, SCREENSHOTS, state);
    expect(await accessibilityViolations(subject.page)).toEqual([]);
  }

  it('40 shoppers buy at once from 15 units: 15 pages say they got one, 25 sold out, as Redis decided', async () => {
    await newSale(15, 600_000);
    const crowd = await Promise.all(Array.from({ length: 40 }, (_, i) => shopper(i % 8 === 0 ? PHONE : DESKTOP)));
    try {
      const started = Date.now();
      const progress = (what: string) => process.stdout.write(`crowd: ${what} at ${Date.now() - started} ms\n`);
      // Signed in five at a time: forty page loads at once only measure how busy this machine is.
      for (let i = 0; i < crowd.length; i += 5) {
        await Promise.all(
          crowd.slice(i, i + 5).map((s, j) => signInWithToken(s, shopUrl, identityUrl, `shopper-${i + j}`)),
        );
      }
      progress('40 signed in');
      const idle = await shopper(DESKTOP);
      await idle.page.goto(shopUrl);
      await Promise.all([...crowd, idle].map((s) => waitForState(s.page, ['scheduled'])));

      await newSale(15, 0);
      await Promise.all(crowd.map((s) => waitForState(s.page, ['open'], 30_000)));
      progress('40 pages open');
      // At once, as far as forty pages on two cores can: a page slow to press may find the last unit gone and its
      // button hidden for the sell-out, which is its answer (checked below with every other sold-out page).
      await Promise.all(
        crowd.map((s) =>
          s.page
            .getByRole('button', { name: 'Buy one' })
            .click({ timeout: 20_000 })
            .catch(async (error: unknown) => {
              if ((await stateOf(s.page)) !== 'sold-out') throw error;
            }),
        ),
      );
      const ends = await Promise.all(crowd.map((s) => waitForState(s.page, ['won', 'sold-out'], 60_000)));
      progress('40 decided');
      expect(ends.filter((end) => end.state === 'won')).toHaveLength(15);
      expect(ends.filter((end) => end.state === 'sold-out')).toHaveLength(25);

      for (const [i, s] of crowd.entries()) {
        const customer = await customerOf(s.page);
        const orderId = await s.page.locator('#store').getAttribute('data-order-id');
        const bought = await client.hget(sale.buyers, customer);
        const { state, message } = ends[i];
        if (state === 'won') {
          const decision = parseDecision((await client.hget(sale.decisions, orderId ?? '')) ?? '');
          expect(decision).toMatchObject({ outcome: 'completed' });
          const unit = decision.outcome === 'completed' ? decision.unit : -1;
          expect(message).toBe(`Unit ${unit.toLocaleString('en')} is yours`);
          expect(bought).toBe(`${orderId}:${unit}`);
        } else {
          expect(message).toBe('Sold out');
          expect(bought).toBeNull();
          // Sold out either by the gears' decision of its order or, after the last unit went, at the door (410).
          if (orderId)
            expect(parseDecision((await client.hget(sale.decisions, orderId)) ?? '')).toMatchObject({
              reason: 'sold_out',
            });
        }
      }
      expect(await client.hlen(sale.buyers)).toBe(15);

      const idleShown = await waitForState(idle.page, ['sold-out'], 15_000);
      const soldOutAt = Number(await client.hget(sale.state, 'soldOutAt'));
      const shownAt = Number(await idle.page.locator('#store').getAttribute('data-since'));
      // Printed, not asserted: with forty pages and every service on two shared cores this measures the machine. The
      // next test asserts the second on idle pages while one shopper takes the last unit.
      progress(`an idle page showed the sell-out ${shownAt - soldOutAt} ms after the last unit went`);
      expect(idleShown.detail).toBe('All 15 units found a buyer.');
      await inState(idle, 'sold-out');
      const phoneSoldOut = crowd.find((s, i) => s.phone && ends[i].state === 'sold-out');
      if (phoneSoldOut) await inState(phoneSoldOut, 'sold-out');
    } finally {
      // Forty pages left open would slow every test after this one.
      await retire(crowd);
    }
  }, 300_000);

  it('a shopper signs in, waits for the opening on the server’s clock, buys and sees their unit', async () => {
    await newSale(3, 600_000);
    const ada = await shopper(DESKTOP);
    const grace = await shopper(PHONE);
    await Promise.all([ada, grace].map((s) => s.page.goto(shopUrl)));
    const [adaShown] = await Promise.all([ada, grace].map((s) => waitForState(s.page, ['scheduled'])));
    await inState(ada, 'scheduled');
    await inState(grace, 'scheduled');
    expect(adaShown.detail).toBe('Sign in now to be ready. One per customer.');
    await signIn(ada, shopUrl, 'ada');
    await signIn(grace, shopUrl, 'grace');

    // The opening is moved to a few seconds from now: the event stream tells the open page, and a reloaded one
    // is still signed in and shows it too.
    const startsAt = await newSale(3, 10_000);
    await grace.page.reload();
    const opensIn = /^Opens in (\d+) seconds?$/;
    const clocks = await Promise.all(
      [ada, grace].map(async (s) => {
        await s.page.waitForFunction(
          (pattern) => new RegExp(pattern).test(document.getElementById('clock')?.textContent ?? ''),
          opensIn.source,
          { polling: 100, timeout: 10_000 },
        );
        return (await s.page.locator('#clock').textContent()) ?? '';
      }),
    );
    expect(await grace.page.locator('#store').getAttribute('data-signed-in')).toBe('true');
    const left = startsAt - (await redisNow(client));
    for (const clock of clocks)
      expect(Math.abs(Number(opensIn.exec(clock)?.[1]) * 1000 - left)).toBeLessThanOrEqual(1_500);
    await screenshot(ada, SCREENSHOTS, 'before-opening');
    await screenshot(grace, SCREENSHOTS, 'before-opening');
    expect(await accessibilityViolations(ada.page)).toEqual([]);
    expect(await accessibilityViolations(grace.page)).toEqual([]);

    // On a phone nothing sticks out, and the buy button shows without scrolling.
    expect(await overflowing(grace.page)).toEqual([]);
    const button = await buyButtonBox(grace.page);
    expect(button.top).toBeGreaterThanOrEqual(0);
    expect(button.bottom).toBeLessThanOrEqual(button.viewportHeight);

    // The page opens its door by the server's clock, without waiting for an event.
    await Promise.all([ada, grace].map((s) => waitForState(s.page, ['open'], 15_000)));
    const openedAt = Number(await ada.page.locator('#store').getAttribute('data-since'));
    expect(openedAt).toBeGreaterThanOrEqual(startsAt - 300);
    expect(openedAt).toBeLessThanOrEqual(startsAt + 1_000);
    await inState(ada, 'open');
    await inState(grace, 'open');
    expect(await overflowing(grace.page)).toEqual([]);

    await ada.page.getByRole('button', { name: 'Buy one' }).click();
    const won = await waitForState(ada.page, ['won']);
    const orderId = (await ada.page.locator('#store').getAttribute('data-order-id')) ?? '';
    const decision = parseDecision((await client.hget(sale.decisions, orderId)) ?? '');
    expect(decision.outcome).toBe('completed');
    const unit = decision.outcome === 'completed' ? decision.unit : -1;
    expect(won.message).toBe(`Unit ${unit.toLocaleString('en')} is yours`);
    expect(await client.hget(sale.buyers, await customerOf(ada.page))).toBe(`${orderId}:${unit}`);
    await inState(ada, 'won');

    // A double click is one press: one order.
    await grace.page.getByRole('button', { name: 'Buy one' }).dblclick();
    await waitForState(grace.page, ['won']);
    expect(await ordersOf(await customerOf(grace.page))).toHaveLength(1);
    await inState(grace, 'won');
    expect(await overflowing(grace.page)).toEqual([]);
  }, 90_000);

  it('says “you already have one” to a customer who bought, signed in again elsewhere', async () => {
    await newSale(3, 0);
    const first = await shopper(DESKTOP);
    await signIn(first, shopUrl, 'ada');
    await first.page.getByRole('button', { name: 'Buy one' }).click();
    await waitForState(first.page, ['won']);
    const elsewhere = [await shopper(DESKTOP), await shopper(PHONE)];
    for (const s of elsewhere) {
      await signIn(s, shopUrl, 'ada');
      await s.page.getByRole('button', { name: 'Buy one' }).click();
      expect((await waitForState(s.page, ['duplicate'])).message).toBe('You already have one');
      await inState(s, 'duplicate');
    }
    expect(await client.hlen(sale.buyers)).toBe(1);
  }, 60_000);

  it('shows a 503 as a retry counted down in words, and the retry is still one order', async () => {
    await newSale(5, 0);
    const linus = await shopper(DESKTOP);
    const mia = await shopper(PHONE);
    for (const [s, name] of [
      [linus, 'linus'],
      [mia, 'mia'],
    ] as const) {
      await s.page.goto(shopUrl);
      await signIn(s, shopUrl, name);
      await waitForState(s.page, ['open']);
    }
    await redis.pause();
    try {
      await Promise.all([linus, mia].map((s) => s.page.getByRole('button', { name: 'Buy one' }).click()));
      for (const s of [linus, mia]) {
        const said = await waitForState(s.page, ['retry'], 10_000);
        await screenshot(s, SCREENSHOTS, 'retry');
        expect(said.message).toBe('The store cannot be reached');
        expect(said.detail).toMatch(/^Trying again (in \d+ seconds?|now), with the same order\.$/);
        expect(await accessibilityViolations(s.page)).toEqual([]);
      }
    } finally {
      await redis.resume();
    }
    for (const s of [linus, mia]) {
      await waitForState(s.page, ['won'], 20_000);
      expect(await ordersOf(await customerOf(s.page))).toHaveLength(1);
    }
  }, 90_000);

  it('shows the sell-out on every open page within a second of the last unit', async () => {
    await newSale(1, 0);
    const last = await shopper(DESKTOP);
    await last.page.goto(shopUrl);
    await signIn(last, shopUrl, 'last-buyer');
    const idle = [await shopper(DESKTOP), await shopper(PHONE), await shopper(DESKTOP)];
    await Promise.all(idle.map((s) => s.page.goto(shopUrl)));
    await Promise.all([last, ...idle].map((s) => waitForState(s.page, ['open'])));
    await last.page.getByRole('button', { name: 'Buy one' }).click();
    await waitForState(last.page, ['won']);
    const soldOutAt = Number(await client.hget(sale.state, 'soldOutAt'));
    const delays: number[] = [];
    for (const s of idle) {
      await waitForState(s.page, ['sold-out'], 5_000);
      delays.push(Number(await s.page.locator('#store').getAttribute('data-since')) - soldOutAt);
    }
    process.stdout.write(`idle pages showed the sell-out ${delays.join(', ')} ms after the last unit went\n`);
    for (const delay of delays) expect(delay).toBeLessThan(1_000);
    await inState(idle[1], 'sold-out');
  }, 90_000);

  it('tells every open page when the sale is closed', async () => {
    await newSale(5, 0);
    const pages = [await shopper(DESKTOP), await shopper(PHONE)];
    await Promise.all(pages.map((s) => s.page.goto(shopUrl)));
    await Promise.all(pages.map((s) => waitForState(s.page, ['open'])));
    await gears.setState('closed');
    for (const s of pages) {
      expect((await waitForState(s.page, ['closed'], 5_000)).message).toBe('The sale is closed');
      await inState(s, 'closed');
    }
  }, 60_000);

  it('puts shoppers in line before the opening with the waiting room on, and admits them to buy', async () => {
    // Signed in first, before a sale that opens in ten minutes: on a loaded machine two sign-ins can outlast a
    // short wait for the opening. Then the opening moves to five seconds from now.
    await newSale(5, 600_000);
    const pages = [await shopper(DESKTOP), await shopper(PHONE)];
    for (const [i, s] of pages.entries()) await signIn(s, shopUrl, `liner-${i}`);
    await newSale(5, 5_000);
    await gears.configureRoom({ ...ROOM_DEFAULTS, on: true, admitPerSecond: 1, reset: true });
    try {
      for (const s of pages) {
        await s.page.getByRole('button', { name: 'Join the line' }).click();
        expect((await waitForState(s.page, ['in-line'])).message).toBe('You are in line for the opening');
        await screenshot(s, SCREENSHOTS, 'in-line-early');
        expect(await accessibilityViolations(s.page)).toEqual([]);
      }
      // At the opening the line is drawn; one shopper a second is admitted, and each page orders with its pass.
      const placeShown = (s: Shopper) =>
        s.page
          .waitForFunction(
            () => /ahead of you|next in line/.test(document.getElementById('message')?.textContent ?? ''),
            undefined,
            { polling: 100, timeout: 15_000 },
          )
          .then(() => s);
      const behind = await Promise.any(pages.map(placeShown)).catch(() => undefined);
      expect(behind).toBeDefined();
      await inState(behind as Shopper, 'in-line');
      for (const s of pages) {
        await waitForState(s.page, ['won'], 20_000);
        expect(await ordersOf(await customerOf(s.page))).toHaveLength(1);
      }
      expect((await gears.roomStatus()).admitted).toBe(2);
    } finally {
      await gears.configureRoom({ ...ROOM_DEFAULTS, on: false, reset: true });
    }
  }, 90_000);

  it('says there is no sale at the address of a sale this store does not sell', async () => {
    const lost = await shopper(PHONE);
    const response = await lost.page.goto(`${services.intakeUrl}/s/another-sale`);
    expect(response?.status()).toBe(404);
    await waitForState(lost.page, ['no-sale']);
    await inState(lost, 'no-sale');
  }, 30_000);

  it('made no request outside its origin, moved nothing on screen, and weighs little', async () => {
    await retire([...shoppers]);
    expect(offOrigin).toEqual([]);
    expect(shifts.filter((shift) => shift.score > 0)).toEqual([]);
    expect(shifts.length).toBeGreaterThan(40);

    const files = ['index.html', ...(await readdir(join(STOREFRONT_DIR, 'assets'))).map((f) => join('assets', f))];
    const contents = await Promise.all(files.map((f) => readFile(join(STOREFRONT_DIR, f))));
    const bytes = contents.reduce((sum, c) => sum + c.length, 0);
    const gzipped = contents.reduce((sum, c) => sum + gzipSync(c, { level: 9 }).length, 0);
    process.stdout.write(`storefront: ${files.length} files, ${bytes} bytes, ${gzipped} bytes gzipped\n`);
    // A budget, not a measurement: a framework or a web font would blow it.
    expect(bytes).toBeLessThan(30_000);
  });
});
