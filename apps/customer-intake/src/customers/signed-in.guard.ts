import {
  createParamDecorator,
  HttpStatus,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { CustomerTokenVerifier, TokenRefused } from '@popup-store/customer-identity';
import type { FastifyRequest } from 'fastify';
import { RetryLaterException, SignInRequired } from '../orders/refusal';
import { CUSTOMER_TOKENS } from './customer-tokens.provider';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in customer: the verified token's `sub`. */
    customer?: string;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;

/**
 * Lets through only a request with `Authorization: Bearer <JWT>` that the identity provider signed; the
 * customer is the token's `sub` from then on. A token verified once is remembered until its `exp`.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  constructor(@Inject(CUSTOMER_TOKENS) private readonly tokens: CustomerTokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    if (!header) throw new SignInRequired('missing_token', 'sign in: send Authorization: Bearer <token>');
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new SignInRequired('malformed_token', 'the Authorization header is not Bearer <token>');
    try {
      request.customer = (await this.tokens.verify(token)).sub;
    } catch (error) {
      if (error instanceof TokenRefused) throw new SignInRequired(error.reason, error.message);
      throw new RetryLaterException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'unavailable',
        'the store cannot check sign-ins now; retry shortly',
      );
    }
    return true;
  }
}

/** The signed-in customer of a route behind {@link SignedInGuard}. */
export const SignedIn = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const customer = context.switchToHttp().getRequest<FastifyRequest>().customer;
  if (!customer) throw new Error('SignedIn used on a route without SignedInGuard');
  return customer;
});
