/** customer-intake's HTTP API, on the page's own origin. */

export type SalePhase = 'unconfigured' | 'closed' | 'scheduled' | 'open' | 'sold_out' | 'ended';

/** `GET /api/sale` and each SSE `sale` event. */
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

export const readSale = () => call('/api/sale');

/**
 * `POST /api/orders` for the signed-in customer. The same `idempotencyKey` on every attempt of one purchase, so
 * the store makes one order however often it arrives.
 */
export const placeOrder = (token: string, customerId: string, idempotencyKey: string, pass?: string) =>
  call('/api/orders', {
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
  call(`/api/sales/${encodeURIComponent(saleId)}/queue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });

/** The customer's live line (the `events` URL of a join, which carries its queue token). */
export function lineEvents(url: string, onLine: (update: LineUpdate) => void): EventSource {
  const events = new EventSource(url);
  events.addEventListener('line', (event) => onLine(JSON.parse((event as MessageEvent<string>).data)));
  return events;
}

/** `GET /api/orders/:id`: the ticket's status, for the customer who placed it. */
export const readTicket = (token: string, orderId: string) =>
  call(`/api/orders/${encodeURIComponent(orderId)}`, { headers: { authorization: `Bearer ${token}` } });

/** The sale's live status: one event at connect, then one per change of phase, stock or window. */
export function saleEvents(onSale: (sale: SaleView, receivedAt: number) => void, onDown: () => void): EventSource {
  const events = new EventSource('/api/sale/events');
  events.addEventListener('sale', (event) => onSale(JSON.parse((event as MessageEvent<string>).data), Date.now()));
  events.addEventListener('error', onDown);
  return events;
}
