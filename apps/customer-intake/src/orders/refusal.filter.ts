import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { refusalBody, RetryLaterException, SignInRequired } from './refusal';

/** The `reason` of a refusal raised without one: Nest's 404, Fastify's body parser (400, 413, 415), guards. */
const REASONS: Partial<Record<number, string>> = {
  [HttpStatus.BAD_REQUEST]: 'invalid',
  [HttpStatus.NOT_FOUND]: 'not_found',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'method_not_allowed',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'too_large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'unsupported_media_type',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'unavailable',
};

/**
 * Every error answer of the API has the refusal body, so a client always finds a `reason` to branch on; a
 * refusal to retry carries `Retry-After`, a 401 its `WWW-Authenticate` challenge. An error that is not a refusal is a bug: logged, and answered 500
 * without its message, which may hold internals.
 */
@Catch()
export class RefusalFilter implements ExceptionFilter {
  private readonly logger = new Logger(RefusalFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    if (!(exception instanceof HttpException)) {
      // The request named here: taking an order runs without pino-http's per-request logger (AppModule).
      const request = host.switchToHttp().getRequest<FastifyRequest>();
      this.logger.error({ err: exception, req: { id: request.id, method: request.method, url: request.url } });
      const status = HttpStatus.INTERNAL_SERVER_ERROR;
      void reply.status(status).send(refusalBody(status, 'internal', 'the store failed to answer; retry shortly'));
      return;
    }
    const status = exception.getStatus();
    if (exception instanceof RetryLaterException) void reply.header('retry-after', String(exception.retryAfterSeconds));
    if (exception instanceof SignInRequired) void reply.header('www-authenticate', exception.challenge);
    void reply.status(status).send(withReason(status, exception.getResponse()));
  }
}

function withReason(status: number, response: string | object): object {
  const reason = REASONS[status] ?? 'refused';
  if (typeof response === 'string') return refusalBody(status, reason, response);
  return 'reason' in response ? response : { reason, ...response };
}
