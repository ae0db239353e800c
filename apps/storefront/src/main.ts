import './styles.css';
import { joinLine, lineEvents, placeOrder, readSale, readTicket, saleEvents, type SaleView } from './api';
import { productOf } from './catalogue';
import { Purchase } from './purchase';
import { ServerClock } from './server-clock';
import { sessionFromRedirect, signInHref, signOut, storedSession, type Session } from './session';
import { View, type Model } from './view';

/** What customer-intake writes into the page as it serves it (index.html's `storefront-config` meta). */
interface StorefrontConfig {
  /** The default sale, the page's at `/`. */
  readonly sale?: string;
  /** The identity provider's authorize endpoint. */
  readonly signInUrl?: string | null;
}

/** The countdown's tick: the door opens on time to a fifth of a second. */
const TICK_MS = 200;

const config = JSON.parse(
  document.querySelector<HTMLMetaElement>('meta[name="storefront-config"]')?.content || '{}',
) as StorefrontConfig;
const pathSale = /^\/s\/([^/]+)\/?$/.exec(location.pathname)?.[1];
/** The page's sale: `/s/<sale>`'s, or the default one at `/`. */
const saleId = pathSale === undefined ? (config.sale ?? 'popup') : decodeURIComponent(pathSale);
/** Until the store says it does not sell this sale (404 `unknown_sale`). */
let knownSale = true;

const storage = sessionStorage;
const clock = new ServerClock();
let session: Session | undefined =
  sessionFromRedirect(location.hash, storage, Date.now()) ?? storedSession(storage, Date.now());
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

let sale: SaleView | undefined;
/** The event stream failed and has not delivered since (EventSource reconnects on its own). */
let down = false;
let purchase: Purchase | undefined;

const returnTo = location.origin + location.pathname;
const view = new View({
  buy: () => purchase?.buy(sale?.waitingRoom === true),
  signOut: () => {
    signOut(storage);
    session = undefined;
    purchase = undefined;
    render();
  },
});

function startPurchase(current: Session): Purchase {
  return new Purchase({
    placeOrder: (key, pass) => placeOrder(saleId, current.token, current.customerId, key, pass),
    joinLine: () => joinLine(current.token, saleId),
    followLine: (events, onUpdate) => lineEvents(events, onUpdate),
    readTicket: (orderId) => readTicket(saleId, current.token, orderId),
    storage,
    storageKey: `popup.purchase.${saleId}.${current.customerId}`,
    now: Date.now,
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    changed: render,
  });
}

function onSale(next: SaleView, receivedAt: number): void {
  clock.observe(next.at, receivedAt);
  sale = next;
  down = false;
  render();
}

function render(): void {
  const localNow = Date.now();
  if (session && session.expiresAt <= localNow) session = undefined;
  const model: Model = {
    knownSale,
    saleId,
    product: productOf(saleId),
    // A fresh state per render would be a new sign-in each tick: the link is made once per page and session.
    signInHref: config.signInUrl ? (signInLink ??= signInHref(config.signInUrl, returnTo, storage)) : undefined,
    session,
    sale,
    connected: !down,
    purchase: purchase?.state,
    serverNow: clock.now(),
    localNow,
  };
  view.render(model);
}
let signInLink: string | undefined;

if (session) purchase = startPurchase(session);
render();
const stopEvents = saleEvents(saleId, onSale, () => {
  down = true;
  render();
});
const ticking = setInterval(render, TICK_MS);
void readSale(saleId).then((answer) => {
  if (answer.status === 200) onSale(answer.body as unknown as SaleView, answer.receivedAt);
  else if (answer.status === 404 && answer.body['reason'] === 'unknown_sale') {
    knownSale = false;
    stopEvents();
    clearInterval(ticking);
    render();
  } else if (!sale) down = true;
});
