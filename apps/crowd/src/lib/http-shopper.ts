import { setTimeout as sleep } from 'node:timers/promises';
import { BalancedPool, Pool } from 'undici';
import type { Tally } from './tally';

export interface HttpShopperOptions {
  /** customer-intake's base URL, or several: the customers are then spread over them. */
  url: string | readonly string[];
  connections: number;
  /** A person whose order was refused for load (429/503) or hit a network error tries again, at most this often. */
  maxRetries: number;
  /** The customer's `Authorization` header (signed in beforehand). */
  authorization: (customerId: string) => string | undefined;
  /** The customer's own address in `X-Forwarded-For`, for an intake that trusts this host as its proxy. */
  forwardedFor?: (customerId: string) => string;
}

/**
 * Orders as a signed-in person would through the HTTP API: one POST with the customer's token and no body (the
 * token says who), and a retry after Retry-After when told to wait.
 */
export class HttpShopper {
  private readonly pool: Pool | BalancedPool;

  constructor(private readonly options: HttpShopperOptions) {
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
    for (let attempt = 0; ; attempt++) {
      tally.sent++;
      let retryAfterMs = 200;
      try {
        const response = await this.pool.request({
          method: 'POST',
          path: '/api/orders',
          headers,
        });
        const payload = (await response.body.json().catch(() => ({}))) as { orderId?: string };
        const status = response.statusCode;
        if (status === 202 && payload.orderId) tally.accepted.push(payload.orderId);
        if ((status !== 429 && status !== 503) || attempt >= this.options.maxRetries) {
          tally.answer(status, performance.now() - scheduledAt);
          return;
        }
        retryAfterMs = Number(response.headers['retry-after'] ?? 0.2) * 1000;
      } catch {
        tally.networkErrors++;
        if (attempt >= this.options.maxRetries) return;
      }
      tally.retries++;
      // Real people do not come back in lockstep: jitter spreads the retries.
      await sleep(retryAfterMs * (0.5 + Math.random()));
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
