/** customer-intake's HTTP API, on the page's own origin. */

export type SalePhase = 'unconfigured' | 'closed' | 'scheduled' | 'open' | 'sold_out' | 'ended';

/** `GET /api/sales/:sale` and each SSE `sale` event. */
export interface SaleView {
  readonly phase: SalePhase;
  readonly stock: number;
  readonly left: number;
  readonly window: { readonly startsAt: number | null; readonly endsAt: number | null };
  readonly soldOutAt: number | null;
  /** The waiting room is on: a purchase goes through the line first (docs/waiting-room.md). */
  readonly waitingRoom?: boolean;
  /** Redis's TIME when the status was read. */
  readonly at: number;
  /** The sale's run: one more at each start-over, when earlier purchases no longer hold. */
  readonly run?: number;
}

/** An answer, whatever its status; `status` 0 when the network failed. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** `Retry-After`, in ms, when the answer has one. */
  readonly retryAfterMs: number | undefined;
  /** Local time the answer arrived. */
  readonly receivedAt: number;
}

async function call(path: string, init: RequestInit = {}): Promise<Answer> {
  try {
    const response = await fetch(path, { ...init, cache: 'no-store' });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      body,
      retryAfterMs: response.headers.has('retry-after') && Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
      receivedAt: Date.now(),
    };
  } catch {
    return { status: 0, body: {}, retryAfterMs: undefined, receivedAt: Date.now() };
  }
}

/** The routes of one sale (`/api/sales/:sale`). */
const saleRoute = (saleId: string) => `/api/sales/${encodeURIComponent(saleId)}`;

export const readSale = (saleId: string) => call(saleRoute(saleId));

/**
 * `POST /api/sales/:sale/orders` for the signed-in customer. The same `idempotencyKey` on every attempt of one
 * purchase, so the store makes one order however often it arrives.
 */
export const placeOrder = (saleId: string, token: string, customerId: string, idempotencyKey: string, pass?: string) =>
  call(`${saleRoute(saleId)}/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
      ...(pass ? { 'admission-pass': pass } : {}),
    },
    body: JSON.stringify({ customerId }),
  });

/** Where a customer stands in the waiting room: `POST /api/sales/:sale/queue` and each `line` event. */
export interface LineUpdate {
  readonly where: 'off' | 'closed' | 'early' | 'waiting' | 'admitted' | 'none';
  readonly ahead?: number;
  readonly estimatedWaitMs?: number;
  readonly pass?: string;
  readonly passExpiresAt?: number;
  /** In the answer to a join: the URL of the customer's live line. */
  readonly events?: string;
}

/** Joins the sale's line (or asks again where the customer stands). */
export const joinLine = (token: string, saleId: string) =>
  call(`${saleRoute(saleId)}/queue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });

/** The customer's live line (the `events` URL of a join, which carries its queue token); call the result to stop. */
export function lineEvents(url: string, onLine: (update: LineUpdate) => void): () => void {
  return liveEvents(url, { line: (data) => onLine(JSON.parse(data) as LineUpdate) });
}

/** `GET /api/sales/:sale/orders/:id`: the ticket's status, for the customer who placed it. */
export const readTicket = (saleId: string, token: string, orderId: string) =>
  call(`${saleRoute(saleId)}/orders/${encodeURIComponent(orderId)}`, { headers: { authorization: `Bearer ${token}` } });

/** The sale's live status: one event at connect, then one per change of phase, stock, window or waiting room. */
export function saleEvents(
  saleId: string,
  onSale: (sale: SaleView, receivedAt: number) => void,
  onDown: () => void,
): () => void {
  return liveEvents(
    `${saleRoute(saleId)}/events`,
    { sale: (data) => onSale(JSON.parse(data) as SaleView, Date.now()) },
    onDown,
  );
}

/** The first wait before opening a refused event stream again, and the longest. */
const REOPEN_FIRST_MS = 1_000;
const REOPEN_MAX_MS = 15_000;

/**
 * An event stream that stays open. An EventSource reconnects by itself only after a dropped connection: a refusal
 * (a 503 when the store sheds load, a 429) closes it for good, and the page would show a stale sale from then on.
 * So a closed one is opened again, after a jittered wait that doubles up to 15 s; `onDown` hears of every failure.
 */
function liveEvents(url: string, handlers: Record<string, (data: string) => void>, onDown?: () => void): () => void {
  let waitMs = REOPEN_FIRST_MS;
  let stopped = false;
  let current: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    const events = new EventSource(url);
    current = events;
    events.addEventListener('open', () => (waitMs = REOPEN_FIRST_MS));
    for (const [type, handle] of Object.entries(handlers)) {
      events.addEventListener(type, (event) => handle((event as MessageEvent<string>).data));
    }
    events.addEventListener('error', () => {
      onDown?.();
      if (events.readyState !== EventSource.CLOSED || stopped) return;
      timer = setTimeout(open, waitMs * (0.5 + Math.random()));
      waitMs = Math.min(waitMs * 2, REOPEN_MAX_MS);
    });
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    current?.close();
  };
}
