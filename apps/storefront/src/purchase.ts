import type { Answer, LineUpdate } from './api';
import type { Outcome } from './words';

/** Where one shopper's purchase stands. */
export type PurchaseStep =
  | { readonly step: 'ready' }
  | { readonly step: 'sending' }
  /**
   * In the waiting room's line: `early` before the opening (places are drawn then), else `waiting` with the
   * customers ahead and the estimated wait. Once admitted, the order goes with the pass, no second press needed:
   * a press is a purchase, and waiting for another one would only let the admission lapse.
   */
  | { readonly step: 'in-line'; readonly where: 'early' | 'waiting'; readonly ahead?: number; readonly waitMs?: number }
  /** Refused for now (429, 503, the network, the opening second): sent again with the same key at `until`. */
  | { readonly step: 'retry'; readonly until: number; readonly why: 'busy' | 'away' | 'opening' }
  | { readonly step: 'pending'; readonly orderId: string }
  | { readonly step: 'decided'; readonly outcome: Outcome; readonly orderId: string | undefined }
  /** The token was refused: sign in again, then the same purchase goes on. */
  | { readonly step: 'signed-out' }
  | { readonly step: 'failed'; readonly reason: string };

/** What a purchase needs from the outside: the API, time, and somewhere to remember itself in this tab. */
export interface PurchaseDeps {
  readonly placeOrder: (idempotencyKey: string, pass?: string) => Promise<Answer>;
  /** Joins the waiting room's line (or asks again). */
  readonly joinLine: () => Promise<Answer>;
  /** Follows the line live from a join's `events` URL; the returned function stops it. */
  readonly followLine: (events: string, onUpdate: (update: LineUpdate) => void) => () => void;
  readonly readTicket: (orderId: string) => Promise<Answer>;
  readonly storage: Storage;
  /** Where in `storage`: one purchase per sale and customer. */
  readonly storageKey: string;
  readonly now: () => number;
  readonly wait: (ms: number) => Promise<void>;
  readonly changed: () => void;
}

interface Remembered {
  readonly key: string;
  readonly orderId?: string;
  readonly outcome?: Outcome;
}

/** Polls of a ticket start quick (a decision takes milliseconds) and slow down, so a slow sale is not hammered. */
const FIRST_POLL_MS = 150;
const MAX_POLL_MS = 2_000;
/** A wait when a refusal names none. */
const DEFAULT_RETRY_MS = 1_000;
/** The door opens on the store's cached status, refreshed ten times a second: try again just after. */
const OPENING_RETRY_MS = 200;

/**
 * One press of Buy is one order. The press is taken synchronously (a double click meets a purchase already under
 * way), and every attempt of it carries the same Idempotency-Key, kept in sessionStorage with the ticket: a retry
 * after a 429, a 503 or a lost answer, and a reload of the page, are still the same order.
 */
export class Purchase {
  private current: PurchaseStep = { step: 'ready' };
  private remembered: Remembered | undefined;
  /** The admission pass, once the line gave one: kept in memory only, it lapses within minutes. */
  private pass: string | undefined;
  private stopFollowingLine: (() => void) | undefined;

  constructor(private readonly deps: PurchaseDeps) {
    this.remembered = this.recall();
    if (this.remembered?.outcome) {
      this.current = { step: 'decided', outcome: this.remembered.outcome, orderId: this.remembered.orderId };
    } else if (this.remembered?.orderId) {
      this.current = { step: 'pending', orderId: this.remembered.orderId };
      void this.follow(this.remembered.orderId);
    }
  }

  get state(): PurchaseStep {
    return this.current;
  }

  /**
   * Buy: starts the purchase unless one is under way or done; calling it twice changes nothing. With `throughLine`
   * (the waiting room is on, as the sale says), it joins the line first; else the store's 403 sends it there.
   */
  buy(throughLine = false): void {
    const step = this.current.step;
    if (step !== 'ready' && step !== 'failed' && step !== 'signed-out') return;
    this.remembered ??= { key: crypto.randomUUID() };
    this.save();
    this.set({ step: 'sending' });
    void (throughLine ? this.enterLine() : this.send());
  }

  /** Joins the line and follows it to the admission; then the order goes with the pass. */
  private async enterLine(): Promise<void> {
    for (;;) {
      const answer = await this.deps.joinLine();
      if (answer.status === 200) return this.onLine(answer.body as unknown as LineUpdate);
      if (answer.status === 401) return this.set({ step: 'signed-out' });
      if (![0, 429, 502, 503, 504].includes(answer.status)) {
        return this.set({ step: 'failed', reason: String(answer.body['message'] ?? `answer ${answer.status}`) });
      }
      const ms = answer.retryAfterMs ?? DEFAULT_RETRY_MS;
      this.set({ step: 'retry', until: this.deps.now() + ms, why: answer.status === 429 ? 'busy' : 'away' });
      await this.deps.wait(ms);
    }
  }

  private onLine(update: LineUpdate): void {
    switch (update.where) {
      case 'early':
      case 'waiting':
        this.set({ step: 'in-line', where: update.where, ahead: update.ahead, waitMs: update.estimatedWaitMs });
        if (update.events && !this.stopFollowingLine) {
          this.stopFollowingLine = this.deps.followLine(update.events, (next) => this.onLine(next));
        }
        return;
      case 'admitted':
        this.pass = update.pass;
        break;
      case 'none':
        // The place was lost (the page went quiet too long): back in line.
        this.stopLine();
        void this.enterLine();
        return;
      // 'off': the room was turned off; 'closed': the line closed at the sell-out or the end. The order door
      // answers either (a 202, a 410, a 423) as it would without a room.
    }
    this.stopLine();
    this.set({ step: 'sending' });
    void this.send();
  }

  private stopLine(): void {
    this.stopFollowingLine?.();
    this.stopFollowingLine = undefined;
  }

  private async send(): Promise<void> {
    const key = this.remembered?.key;
    if (!key) return;
    for (;;) {
      const answer = await this.deps.placeOrder(key, this.pass);
      const next = this.onOrderAnswer(answer);
      if (next === 'done') return;
      if (next === 'line') return this.enterLine();
      this.set({ step: 'retry', until: this.deps.now() + next.ms, why: next.why });
      await this.deps.wait(next.ms);
      this.set({ step: 'sending' });
    }
  }

  private onOrderAnswer(answer: Answer): 'done' | 'line' | { ms: number; why: 'busy' | 'away' | 'opening' } {
    const reason = typeof answer.body['reason'] === 'string' ? answer.body['reason'] : undefined;
    switch (answer.status) {
      case 202: {
        const orderId = String(answer.body['orderId']);
        this.remember({ orderId });
        this.set({ step: 'pending', orderId });
        void this.follow(orderId);
        return 'done';
      }
      case 409:
        this.decide({ kind: 'duplicate' }, undefined);
        return 'done';
      case 410:
        this.decide({ kind: 'sold_out' }, undefined);
        return 'done';
      case 423: {
        const phase = (answer.body['window'] as { phase?: string } | undefined)?.phase;
        if (phase === 'scheduled') return { ms: OPENING_RETRY_MS, why: 'opening' };
        this.decide({ kind: 'closed' }, undefined);
        return 'done';
      }
      case 429:
        return { ms: answer.retryAfterMs ?? DEFAULT_RETRY_MS, why: 'busy' };
      case 0:
      case 502:
      case 503:
      case 504:
        return { ms: answer.retryAfterMs ?? DEFAULT_RETRY_MS, why: 'away' };
      case 401:
        this.set({ step: 'signed-out' });
        return 'done';
      case 403:
        // The waiting room is on (or the pass lapsed): the line gives a pass, then the same order goes again.
        if (reason === 'not_admitted' || reason === 'pass_expired') {
          this.pass = undefined;
          return 'line';
        }
        break;
    }
    this.set({ step: 'failed', reason: String(answer.body['message'] ?? reason ?? `answer ${answer.status}`) });
    return 'done';
  }

  /** Follows a ticket until the gears decide it. */
  private async follow(orderId: string): Promise<void> {
    let pollMs = FIRST_POLL_MS;
    for (;;) {
      await this.deps.wait(pollMs);
      const answer = await this.deps.readTicket(orderId);
      if (answer.status === 200) {
        const status = answer.body['status'];
        if (status === 'completed') return this.decide({ kind: 'unit', unit: Number(answer.body['unit']) }, orderId);
        if (status === 'rejected') return this.decide(outcomeOf(String(answer.body['reason'])), orderId);
      } else if (answer.status === 401) {
        return this.set({ step: 'signed-out' });
      } else if (answer.status === 404) {
        return this.set({ step: 'failed', reason: 'the store does not know this ticket' });
      } else if (answer.status === 410) {
        // 410 earlier_run: the sale started over before deciding this order; it never will be.
        return this.set({ step: 'failed', reason: 'the sale started over before this order was decided' });
      } else if (answer.retryAfterMs !== undefined) {
        pollMs = Math.max(pollMs, answer.retryAfterMs);
        continue;
      }
      pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
    }
  }

  private decide(outcome: Outcome, orderId: string | undefined): void {
    this.remember({ outcome, ...(orderId ? { orderId } : {}) });
    this.set({ step: 'decided', outcome, orderId });
  }

  private set(step: PurchaseStep): void {
    this.current = step;
    this.deps.changed();
  }

  private remember(update: Partial<Remembered>): void {
    if (!this.remembered) return;
    this.remembered = { ...this.remembered, ...update };
    this.save();
  }

  private save(): void {
    this.deps.storage.setItem(this.deps.storageKey, JSON.stringify(this.remembered));
  }

  private recall(): Remembered | undefined {
    try {
      const value = JSON.parse(this.deps.storage.getItem(this.deps.storageKey) ?? 'null') as Remembered | null;
      return value && typeof value.key === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The gears' rejection reasons (gears/: `sold_out`, `duplicate`, `closed`). */
function outcomeOf(reason: string): Outcome {
  if (reason === 'duplicate') return { kind: 'duplicate' };
  if (reason === 'closed') return { kind: 'closed' };
  return { kind: 'sold_out' };
}
