import { customerContract } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { RedisStreamsClient } from '@popup-store/streams-transport';
import { randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import type { Tally } from './tally';

/**
 * Orders straight into the customers stream, as intake would after accepting them: the pipeline without HTTP.
 * Orders sent in the same event-loop turn share one pipeline.
 */
export class StreamShopper {
  private readonly client: RedisStreamsClient;

  constructor(
    redisUrl: string,
    private readonly sale: SaleKeys,
  ) {
    this.client = new RedisStreamsClient({ connection: redisUrl, streams: { [sale.customers]: customerContract } });
  }

  async order(customerId: string, scheduledAt: number, tally: Tally): Promise<void> {
    tally.sent++;
    const orderId = randomUUID();
    try {
      await lastValueFrom(this.client.emit(this.sale.customers, { orderId, customerId, submittedAt: Date.now() }));
      tally.accepted.push(orderId);
      tally.answer('queued', performance.now() - scheduledAt);
    } catch {
      tally.networkErrors++;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
