import { HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import { RetryLaterException } from './refusal';

/** The throttlers of intake, by name: orders, and status polls (`GET /api/orders/:id`). */
export const Throttle = { orders: 'orders', polls: 'polls' } as const;

/**
 * Limits requests per signed-in customer (the token's `sub`, set by SignedInGuard, which runs first): a whole
 * crowd may share one address behind a proxy, while one customer hammering from many connections is still one
 * customer. Each route skips the throttler that is not its own.
 */
@Injectable()
export class CustomerThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return `customer:${String(request['customer'])}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    limit: ThrottlerLimitDetail,
  ): Promise<void> {
    const polls = limit.key.startsWith(`${Throttle.polls}:`);
    throw new RetryLaterException(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate_limited',
      polls
        ? 'too many status requests from this customer; follow the sale with GET /api/sale/events'
        : 'too many orders from this customer; slow down',
      Math.max(1, Math.ceil(limit.timeToBlockExpire || limit.timeToExpire)),
    );
  }
}
