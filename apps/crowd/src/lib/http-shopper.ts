import { setTimeout as sleep } from 'node:timers/promises';
import { BalancedPool, Pool } from 'undici';
import type { Tally } from './tally';

export interface HttpShopperOptions {
  /** customer-intake's base URL, or several: the customers are then spread over them. */
  url: string | readonly string[];
  /** The sale the customers buy from: its routes, `/api/sales/<sale>/...`. */
  sale: string;
  connections: number;
  /** A person whose order was refused for load (429/503) or hit a network error tries again, at most this often. */
  maxRetries: number;
  /** The customer's `Authorization` header (signed in beforehand). */
  authorization: (customerId: string) => string | undefined;
  /** The customer's own address in `X-Forwarded-For`, for an intake that trusts this host as its proxy. */
  forwardedFor?: (customerId: string) => string;
  /**
   * The sale's waiting room is on (`--waiting-room`): a person joins the line (`POST /api/sales/<sale>/queue`),
   * asks again until admitted, then orders with the pass. Without it, a 403 `not_admitted` sends them there too.
   */
  waitingRoom?: boolean;
}

/**
 * Asking the line again: at half the estimated wait, within these bounds (a person glancing back at the page). An
 * admission lasts minutes (the room's admitMs), so asking late costs no place, and a line of 100,000 asking every
 * quarter second would be 400,000 requests a second to tell them what they know.
 */
const LINE_POLL_MIN_MS = 250;
const LINE_POLL_MAX_MS = 10_000;

/**
 * Orders as a signed-in person would through the HTTP API: one POST with the customer's token and no body (the
 * token says who), and a retry after Retry-After when told to wait.
 */
export class HttpShopper {
  private readonly pool: Pool | BalancedPool;
  private readonly salePath: string;

  constructor(private readonly options: HttpShopperOptions) {
    this.salePath = `/api/sales/${encodeURIComponent(options.sale)}`;
    const urls = typeof options.url === 'string' ? [options.url] : options.url;
    // undici's BalancedPool sends each request to the next intake in turn, and fewer to one that fails; each
    // intake gets `connections` of its own. A retry (429, 503) may so reach another intake.
    this.pool =
      urls.length === 1
        ? new Pool(urls[0] as string, { connections: options.connections })
        : new BalancedPool([...urls], { connections: options.connections });
  }

  async order(customerId: string, scheduledAt: number, tally: Tally): Promise<void> {
    const headers: Record<string, string> = {};
    const authorization = this.options.authorization(customerId);
    if (authorization) headers['authorization'] = authorization;
    if (this.options.forwardedFor) headers['x-forwarded-for'] = this.options.forwardedFor(customerId);
    let inLine = false;
    if (this.options.waitingRoom) {
      inLine = true;
      if (!(await this.waitInLine(headers, tally))) return;
    }
    for (let attempt = 0; ; attempt++) {
      tally.sent++;
      let retryAfterMs = 200;
      const sentAt = performance.now();
      try {
        const response = await this.pool.request({
          method: 'POST',
          path: `${this.salePath}/orders`,
          headers,
        });
        const payload = (await response.body.json().catch(() => ({}))) as { orderId?: string; reason?: string };
        tally.responded(performance.now() - sentAt);
        const status = response.statusCode;
        if (status === 403 && !inLine && payload.reason === 'not_admitted') {
          // The room was turned on (by the operator, or by itself) after this person came: the line, once, then
          // the order again.
          inLine = true;
          if (!(await this.waitInLine(headers, tally))) return;
          attempt--;
          continue;
        }
        if (status === 202 && payload.orderId) tally.accepted.push(payload.orderId);
        if ((status !== 429 && status !== 503) || attempt >= this.options.maxRetries) {
          tally.answer(status, performance.now() - scheduledAt);
          return;
        }
        retryAfterMs = Number(response.headers['retry-after'] ?? 0.2) * 1000;
      } catch {
        tally.responded(performance.now() - sentAt);
        tally.networkErrors++;
        if (attempt >= this.options.maxRetries) return;
      }
      tally.retries++;
      // Real people do not come back in lockstep: jitter spreads the retries.
      await sleep(retryAfterMs * (0.5 + Math.random()));
    }
  }

  /**
   * Joins the line and asks again until admitted; puts the pass in `headers`. False when the person gave up (the
   * line could not be reached `maxRetries` times running), counted as a network error.
   */
  private async waitInLine(headers: Record<string, string>, tally: Tally): Promise<boolean> {
    const path = `${this.salePath}/queue`;
    const joinedAt = performance.now();
    for (let failures = 0; ;) {
      let waitMs = LINE_POLL_MIN_MS;
      const sentAt = performance.now();
      try {
        const response = await this.pool.request({ method: 'POST', path, headers });
        const line = (await response.body.json().catch(() => ({}))) as {
          where?: string;
          pass?: string;
          estimatedWaitMs?: number;
        };
        tally.responded(performance.now() - sentAt);
        if (response.statusCode === 200) {
          failures = 0;
          if (line.where === 'admitted' && line.pass) {
            headers['admission-pass'] = line.pass;
            tally.admitted(performance.now() - joinedAt);
            return true;
          }
          // Off (order directly) or closed (the door answers: sold out, closed).
          if (line.where === 'off' || line.where === 'closed') return true;
          waitMs = Math.min(Math.max((line.estimatedWaitMs ?? LINE_POLL_MAX_MS) / 2, LINE_POLL_MIN_MS), LINE_POLL_MAX_MS);
        } else if (++failures > this.options.maxRetries) {
          tally.answer(response.statusCode, performance.now() - joinedAt);
          return false;
        } else {
          waitMs = Number(response.headers['retry-after'] ?? 1) * 1000;
        }
      } catch {
        tally.responded(performance.now() - sentAt);
        if (++failures > this.options.maxRetries) {
          tally.networkErrors++;
          return false;
        }
      }
      await sleep(waitMs * (0.5 + Math.random()));
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
