import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** Every refusal has one body shape: status, its name, a stable `reason` a client can branch on, and a message. */
export function refusalBody(status: HttpStatus, reason: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    statusCode: status,
    error: STATUS_CODES[status],
    reason,
    message,
    ...extra,
  };
}

export function refusal(status: HttpStatus, reason: string, message: string, extra: Record<string, unknown> = {}) {
  return new HttpException(refusalBody(status, reason, message, extra), status);
}

/** A refusal the client should retry: the filter adds `Retry-After` (seconds). */
export class RetryLaterException extends HttpException {
  constructor(
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE,
    reason: string,
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(refusalBody(status, reason, message), status);
  }
}

/** Redis did not answer in time, or the connection is down: the client should retry shortly. */
export const redisAway = () =>
  new RetryLaterException(
    HttpStatus.SERVICE_UNAVAILABLE,
    'unavailable',
    'the store cannot reach its database; retry shortly',
  );

/**
 * 401: the request does not prove who the customer is. The filter adds the RFC 6750 challenge
 * (`WWW-Authenticate: Bearer ...`, with `error="invalid_token"` when a token was sent but refused).
 */
export class SignInRequired extends HttpException {
  readonly challenge: string;

  constructor(reason: string, message: string) {
    super(refusalBody(HttpStatus.UNAUTHORIZED, reason, message), HttpStatus.UNAUTHORIZED);
    this.challenge =
      reason === 'missing_token'
        ? 'Bearer realm="popup-store"'
        : `Bearer realm="popup-store", error="invalid_token", error_description="${message.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;
  }
}
