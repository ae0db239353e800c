import type { SalePhase, SaleView } from './api';
import type { Product } from './catalogue';
import type { PurchaseStep } from './purchase';
import type { Session } from './session';
import { count, duration, outcomeDetail, outcomeHeadline, retryWords, type Outcome } from './words';

/** Everything the page shows, at one moment. */
export interface Model {
  /** False on `/s/<id>` when this store sells another sale. */
  readonly knownSale: boolean;
  readonly saleId: string;
  readonly product: Product;
  readonly signInHref: string | undefined;
  readonly session: Session | undefined;
  readonly sale: SaleView | undefined;
  /** The live status is flowing (the event stream is up or a reading is recent). */
  readonly connected: boolean;
  readonly purchase: PurchaseStep | undefined;
  /** The server's time now. */
  readonly serverNow: number;
  /** The page's own time now (for retries, which count in local time). */
  readonly localNow: number;
}

/** The state a test or a stylesheet can read from `data-state`, one per thing the shopper can be told. */
export type DisplayState =
  | 'loading'
  | 'unavailable'
  | 'no-sale'
  | 'unconfigured'
  | 'scheduled'
  | 'open'
  | 'sending'
  | 'retry'
  | 'in-line'
  | 'pending'
  | 'won'
  | 'sold-out'
  | 'duplicate'
  | 'closed'
  | 'failed'
  | 'sign-in-again';

/** The phase as of now by the server's clock: the page opens its door on time without waiting for an event. */
export function phaseNow(sale: SaleView, serverNow: number): SalePhase {
  const { startsAt, endsAt } = sale.window;
  const ended = endsAt !== null && serverNow >= endsAt;
  if (sale.phase === 'scheduled' && startsAt !== null && serverNow >= startsAt) return ended ? 'ended' : 'open';
  if (sale.phase === 'open' && ended) return 'ended';
  return sale.phase;
}

const OUTCOME_STATE: Record<Outcome['kind'], DisplayState> = {
  unit: 'won',
  sold_out: 'sold-out',
  duplicate: 'duplicate',
  closed: 'closed',
};

export function displayState(model: Model): DisplayState {
  if (!model.knownSale) return 'no-sale';
  if (!model.sale) return model.connected ? 'loading' : 'unavailable';
  const purchase = model.purchase;
  if (purchase && model.session) {
    switch (purchase.step) {
      case 'sending':
      case 'retry':
      case 'in-line':
      case 'pending':
      case 'failed':
        return purchase.step;
      case 'decided':
        return OUTCOME_STATE[purchase.outcome.kind];
      case 'signed-out':
        return 'sign-in-again';
      case 'ready':
        break;
    }
  }
  switch (phaseNow(model.sale, model.serverNow)) {
    case 'unconfigured':
      return 'unconfigured';
    case 'scheduled':
      return 'scheduled';
    case 'open':
      return 'open';
    case 'sold_out':
      return 'sold-out';
    case 'ended':
    case 'closed':
      return 'closed';
  }
}

const time = (ms: number) =>
  new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

interface Words {
  readonly message: string;
  readonly detail: string;
}

function words(state: DisplayState, model: Model): Words {
  const signedIn = model.session !== undefined;
  const purchase = model.purchase;
  switch (state) {
    case 'loading':
      return { message: 'Loading the sale…', detail: '' };
    case 'unavailable':
      return { message: 'The store cannot be reached', detail: 'This page reconnects on its own.' };
    case 'no-sale':
      return { message: 'There is no sale here', detail: `This store does not sell the sale “${model.saleId}”.` };
    case 'unconfigured':
      return { message: 'Nothing on sale yet', detail: 'Come back when the sale is announced.' };
    case 'scheduled':
      return {
        message: 'The sale opens soon',
        detail: signedIn
          ? 'The Buy button wakes up at the opening. One per customer.'
          : 'Sign in now to be ready. One per customer.',
      };
    case 'open':
      return {
        message: 'On sale now',
        detail: signedIn ? 'Press Buy once: one order, one unit per customer.' : 'Sign in to buy. One per customer.',
      };
    case 'sending':
      return { message: 'Sending your order…', detail: 'One order, however often you press.' };
    case 'retry': {
      const retry = purchase?.step === 'retry' ? purchase : undefined;
      const why =
        retry?.why === 'busy'
          ? 'The store is very busy'
          : retry?.why === 'opening'
            ? 'The sale is opening'
            : 'The store cannot be reached';
      return { message: why, detail: `${retryWords((retry?.until ?? 0) - model.localNow)}, with the same order.` };
    }
    case 'in-line': {
      const line = purchase?.step === 'in-line' ? purchase : undefined;
      if (line?.where !== 'waiting')
        return {
          message: 'You are in line for the opening',
          // Two lines at most on a phone, like every detail: the page below must not move.
          detail: 'Places are drawn at random at the opening.',
        };
      const ahead = line.ahead ?? 0;
      return {
        message:
          ahead === 0 ? 'You are next in line' : `${count(ahead)} ${ahead === 1 ? 'shopper' : 'shoppers'} ahead of you`,
        detail: `About ${duration(line.waitMs ?? 0)} to wait. Keep this page open: it orders for you.`,
      };
    }
    case 'pending':
      return { message: 'Your order is in', detail: 'Waiting for the decision, usually under a second.' };
    case 'failed':
      return {
        message: 'Your order did not go through',
        detail: `${purchase?.step === 'failed' ? purchase.reason : 'unknown'}. Press Buy to try again.`,
      };
    case 'sign-in-again':
      return { message: 'Please sign in again', detail: 'Your sign-in has expired; your order waits for you.' };
    case 'won':
    case 'duplicate':
    case 'sold-out':
    case 'closed': {
      if (purchase?.step === 'decided')
        return { message: outcomeHeadline(purchase.outcome), detail: outcomeDetail(purchase.outcome) };
      return state === 'sold-out'
        ? { message: 'Sold out', detail: `All ${count(model.sale?.stock ?? 0)} units found a buyer.` }
        : { message: 'The sale is closed', detail: 'Thank you for coming.' };
    }
  }
}

function clockWords(model: Model): string {
  const sale = model.sale;
  if (!sale || !model.knownSale) return '';
  const { startsAt, endsAt } = sale.window;
  switch (phaseNow(sale, model.serverNow)) {
    case 'scheduled':
      return startsAt === null ? '' : `Opens in ${duration(startsAt - model.serverNow)}`;
    case 'open':
      return endsAt === null ? 'Open now' : `Closes in ${duration(endsAt - model.serverNow)}`;
    case 'sold_out':
      return sale.soldOutAt === null ? 'Sold out' : `Sold out at ${time(sale.soldOutAt)}`;
    case 'ended':
      return endsAt === null ? 'Ended' : `Ended at ${time(endsAt)}`;
    case 'closed':
      return 'Closed by the store';
    case 'unconfigured':
      return '';
  }
}

/** The page's elements, found once. */
export class View {
  private readonly root = element<HTMLElement>('store');
  private readonly buyButton = element<HTMLButtonElement>('buy');
  private readonly signInLink = element<HTMLAnchorElement>('sign-in');
  private readonly signOutButton = element<HTMLButtonElement>('sign-out');

  constructor(handlers: { buy: () => void; signOut: () => void }) {
    this.buyButton.addEventListener('click', handlers.buy);
    this.signOutButton.addEventListener('click', handlers.signOut);
  }

  /** Writes the model into the page, touching only what changed (a screen reader hears changes, not ticks). */
  render(model: Model): void {
    const state = displayState(model);
    if (this.root.dataset['state'] !== state) {
      this.root.dataset['state'] = state;
      this.root.dataset['since'] = String(Date.now());
    }
    this.root.setAttribute('aria-busy', String(state === 'loading'));
    this.root.dataset['signedIn'] = String(model.session !== undefined);
    const orderId =
      model.purchase?.step === 'pending'
        ? model.purchase.orderId
        : model.purchase?.step === 'decided'
          ? model.purchase.orderId
          : undefined;
    if (orderId) this.root.dataset['orderId'] = orderId;
    else delete this.root.dataset['orderId'];

    text('product-name', model.product.name);
    text('product-blurb', model.product.blurb);
    text('product-price', model.product.price);
    document.title = `${model.product.name} · popup-store`;

    const sale = model.sale;
    text('stock-words', sale ? `${count(sale.left)} of ${count(sale.stock)} left` : '');
    const bar = element<HTMLProgressElement>('stock-bar');
    bar.max = Math.max(1, sale?.stock ?? 1);
    bar.value = sale?.left ?? 0;

    text('clock', clockWords(model));
    const { message, detail } = words(state, model);
    text('message', message);
    text('detail', detail);

    const signedIn = model.session !== undefined && state !== 'sign-in-again';
    const buyable = ['scheduled', 'open', 'sending', 'retry', 'in-line', 'pending', 'failed'].includes(state);
    // With the waiting room on, the line opens before the sale does: the press joins it early.
    const joinsEarly = state === 'scheduled' && model.sale?.waitingRoom === true;
    this.buyButton.hidden = !signedIn || !buyable;
    this.buyButton.disabled = !(state === 'open' || state === 'failed' || joinsEarly);
    this.buyButton.textContent =
      state === 'sending' || state === 'retry'
        ? 'Ordering…'
        : state === 'in-line'
          ? 'In line'
          : state === 'pending'
            ? 'Ordered'
            : joinsEarly
              ? 'Join the line'
              : 'Buy one';
    const wantsSignIn = !signedIn && (buyable || state === 'sign-in-again');
    this.signInLink.hidden = !wantsSignIn || model.signInHref === undefined;
    if (model.signInHref) this.signInLink.href = model.signInHref;
    if (wantsSignIn && model.signInHref === undefined) text('detail', 'Signing in is not set up on this store.');

    text('who', model.session ? `Signed in as ${model.session.name}` : 'Not signed in');
    this.signOutButton.hidden = model.session === undefined;
  }
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** An empty line keeps its height (a no-break space), so nothing below it moves. */
function text(id: string, value: string): void {
  const target = element(id);
  const next = value || '\u00a0';
  if (target.textContent !== next) target.textContent = next;
}
