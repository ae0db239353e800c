import { HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import { RetryLaterException } from './refusal';

/**
 * Limits orders per customer id (per address when the body has none): a whole crowd may share one address
 * behind a proxy, while one customer hammering from many connections is still one customer.
 */
@Injectable()
export class CustomerThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const body = request['body'] as { customerId?: unknown } | undefined;
    return typeof body?.customerId === 'string' ? `customer:${body.customerId}` : `ip:${String(request['ip'])}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    limit: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RetryLaterException(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate_limited',
      'too many orders from this customer; slow down',
      Math.max(1, Math.ceil(limit.timeToBlockExpire || limit.timeToExpire)),
    );
  }
}
