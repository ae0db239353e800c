import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { Tally } from './tally';

export interface HttpShopperOptions {
  url: string;
  connections: number;
  /** A person whose order was refused for load (429/503) or hit a network error tries again, at most this often. */
  maxRetries: number;
}

/** Orders as a person would through the HTTP API: one POST, and a retry after Retry-After when told to wait. */
export class HttpShopper {
  private readonly pool: Pool;

  constructor(private readonly options: HttpShopperOptions) {
    this.pool = new Pool(options.url, { connections: options.connections });
  }

  async order(customerId: string, scheduledAt: number, tally: Tally): Promise<void> {
    const body = JSON.stringify({ customerId });
    for (let attempt = 0; ; attempt++) {
      tally.sent++;
      let retryAfterMs = 200;
      try {
        const response = await this.pool.request({
          method: 'POST',
          path: '/api/orders',
          headers: { 'content-type': 'application/json' },
          body,
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
