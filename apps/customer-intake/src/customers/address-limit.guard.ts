import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';
import { RetryLaterException } from '../orders/refusal';
import { CustomersPerAddress } from './customers-per-address';

const WINDOW_MS = 60_000;
/** Addresses tracked at once: with 30 customers each, a few tens of MB at the very worst. */
const TRACKED_ADDRESSES = 20_000;

/**
 * At most MAX_CUSTOMERS_PER_ADDRESS distinct signed-in customers order from one client address per minute: a bot
 * with many accounts behind one address gets 429. The address is Fastify's `request.ip`: the socket's, or
 * `X-Forwarded-For`'s when the peer is one of TRUSTED_PROXIES. Runs after SignedInGuard.
 */
@Injectable()
export class AddressLimitGuard implements CanActivate {
  private readonly limiter: CustomersPerAddress;

  constructor(@Inject(INTAKE_CONFIG) config: IntakeConfig) {
    this.limiter = new CustomersPerAddress(config.MAX_CUSTOMERS_PER_ADDRESS, WINDOW_MS, TRACKED_ADDRESSES);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const verdict = this.limiter.check(request.ip, request.customer as string);
    if (verdict.allowed) return true;
    throw new RetryLaterException(
      HttpStatus.TOO_MANY_REQUESTS,
      'too_many_customers',
      'too many customers order from this address; retry later',
      Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)),
    );
  }
}
