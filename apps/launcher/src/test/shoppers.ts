// Functions passed to page.evaluate run in the page: they are typed against the DOM.
/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import type { Result } from 'axe-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium): the tests never download a browser. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Headless Chromium as CI runs it. Playwright gives every launch a fresh, temporary user-data-dir of its own (and
 * refuses a `--user-data-dir` flag for `launch`), so no profile is shared between runs.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
/** A small phone (iPhone SE class): the buy button must show without scrolling here. */
export const PHONE = { width: 375, height: 667 };

export interface RequestSeen {
  readonly url: string;
  readonly navigation: boolean;
  /** The URL of the document that made the request. */
  readonly from: string;
}

/** One shopper: a browser context of its own (its own cookies, storage and connections) and its page. */
export interface Shopper {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly requests: RequestSeen[];
  readonly phone: boolean;
}

declare global {
  interface Window {
    /** Layout shifts not caused by input, summed as Chrome's Cumulative Layout Shift does. */
    __layoutShift: number;
    /** What moved, for the failure message. */
    __layoutShifted: string[];
  }
}

export async function newShopper(browser: Browser, viewport = DESKTOP): Promise<Shopper> {
  const phone = viewport.width < 600;
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, isMobile: phone, hasTouch: phone });
  const requests: RequestSeen[] = [];
  context.on('request', (request) =>
    requests.push({ url: request.url(), navigation: request.isNavigationRequest(), from: request.frame().url() }),
  );
  await context.addInitScript(() => {
    window.__layoutShift = 0;
    window.__layoutShifted = [];
    type Shift = PerformanceEntry & { value: number; hadRecentInput: boolean; sources: { node?: Element }[] };
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as Shift[]) {
        if (entry.hadRecentInput) continue;
        window.__layoutShift += entry.value;
        const moved = entry.sources.map((source) => source.node?.id || source.node?.className || source.node?.nodeName);
        window.__layoutShifted.push(`${moved.join(', ')} in ${document.getElementById('store')?.dataset['state']}`);
      }
    }).observe({ type: 'layout-shift', buffered: true } as PerformanceObserverInit);
  });
  // This machine is shared and slow: a page may take long to load under a crowd of forty.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  return { context, page, requests, phone };
}

/** The page's state (`data-state`), as the storefront's view names it. */
export const stateOf = (page: Page) => page.locator('#store').getAttribute('data-state');

/** What a page showed at one instant: its state and its two lines of words, read together. */
export interface Shown {
  readonly state: string;
  readonly message: string;
  readonly detail: string;
}

/**
 * Waits until the page is in one of `states` and returns what it showed at that instant. The words are read in the
 * same evaluation as the state: read afterwards, a retry's countdown may already have sent the order again.
 */
export async function waitForState(page: Page, states: string[], timeoutMs = 15_000): Promise<Shown> {
  // Runs in the page: what it shows, if its state is one of `wanted` (or whatever it is, for `null`).
  const shownIn = (wanted: string[] | null): Shown | undefined => {
    const shown = {
      state: document.getElementById('store')?.dataset['state'] ?? '',
      message: document.getElementById('message')?.textContent?.trim() ?? '',
      detail: document.getElementById('detail')?.textContent?.trim() ?? '',
    };
    return wanted === null || wanted.includes(shown.state) ? shown : undefined;
  };
  try {
    // Every 100 ms, not every frame: forty pages polled at 60 Hz would starve the machine they measure.
    const handle = await page.waitForFunction(shownIn, states, { timeout: timeoutMs, polling: 100 });
    return (await handle.jsonValue()) as Shown;
  } catch (error) {
    const shown = await page
      .evaluate(shownIn, null)
      .then((now) => `${now?.state}: ${now?.message} / ${now?.detail}`)
      .catch(() => 'the page is gone');
    throw new Error(`waited ${timeoutMs} ms for ${states.join(' or ')}, the page shows ${shown} (${String(error)})`);
  }
}

/** Signs in as a shopper would: the page's link, the provider's form, and back. */
export async function signIn(shopper: Shopper, shopUrl: string, name: string): Promise<void> {
  const { page } = shopper;
  if (!page.url().startsWith(shopUrl)) await page.goto(shopUrl);
  await page.getByRole('link', { name: 'Sign in to buy' }).click();
  await page.getByRole('textbox').fill(name);
  await page.getByRole('textbox').press('Enter');
  await page.waitForURL((url) => url.href.startsWith(shopUrl) && !url.hash);
  await page.locator('#store[data-signed-in="true"]').waitFor();
}

/**
 * Signs in with a token the provider issued by script (`POST /token`), handed to the page as the provider's
 * redirect hands it: in the URL fragment, with the `state` the page expects. One navigation instead of three, for
 * a crowd on a slow machine; the sign-in form itself is what {@link signIn} goes through.
 */
export async function signInWithToken(
  shopper: Shopper,
  shopUrl: string,
  identityUrl: string,
  name: string,
): Promise<void> {
  const response = await fetch(`${identityUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const issued = (await response.json()) as { access_token: string; expires_in: number };
  const state = `crowd-${name}`;
  await shopper.context.addInitScript((value) => sessionStorage.setItem('popup.sign-in-state', value), state);
  const fragment = new URLSearchParams({
    access_token: issued.access_token,
    token_type: 'Bearer',
    expires_in: String(issued.expires_in),
    state,
  });
  await shopper.page.goto(`${shopUrl}#${fragment}`, { waitUntil: 'domcontentloaded' });
  await shopper.page.locator('#store[data-signed-in="true"]').waitFor();
}

/** axe-core on the page as it is now: the violations, as short lines. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map(
    (violation: Result) =>
      `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target).join(', ')})`,
  );
}

/** What sticks out of a phone's screen: the page's width, and any element wider than the viewport. */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width)
      out.push(`page ${document.documentElement.scrollWidth}px > ${width}px`);
    for (const element of document.querySelectorAll('body *')) {
      const box = element.getBoundingClientRect();
      if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
        out.push(`${element.tagName.toLowerCase()}#${element.id} spans ${box.left}..${box.right}px of ${width}px`);
      }
    }
    return out;
  });
}

/** Where the buy button is on screen, the page scrolled to its top. */
export async function buyButtonBox(page: Page): Promise<{ top: number; bottom: number; viewportHeight: number }> {
  return page.evaluate(() => {
    window.scrollTo(0, 0);
    const box = (document.getElementById('buy') as HTMLElement).getBoundingClientRect();
    return { top: box.top, bottom: box.bottom, viewportHeight: window.innerHeight };
  });
}

/** The page's layout shift so far, and what moved. */
export const layoutShift = (page: Page) =>
  page.evaluate(() => ({ score: window.__layoutShift, moved: window.__layoutShifted }));

/** One screenshot per state and screen, named <state>-<desktop|phone>.png. */
export async function screenshot(shopper: Shopper, dir: string, state: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await shopper.page.screenshot({
    path: join(dir, `${state}-${shopper.phone ? 'phone' : 'desktop'}.png`),
    fullPage: false,
  });
}

/** Requests a storefront page made to anywhere but its own origin (navigations to sign in aside). */
export function requestsOffOrigin(shopper: Shopper, shopOrigin: string, signInOrigin: string): string[] {
  return shopper.requests
    .filter((request) => originOf(request.from) === shopOrigin || request.from === 'about:blank')
    .filter((request) => {
      const origin = originOf(request.url);
      return origin !== shopOrigin && !(request.navigation && origin === signInOrigin);
    })
    .map((request) => request.url);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
