import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Hands a handler's own exception back to the transport. Nest's default RPC filter replaces any exception that is
 * not an RpcException with "Internal server error"; with this filter dead letters and spans carry the real error.
 * Register it on the microservice: `app.useGlobalFilters(new RedisStreamsErrorFilter())`.
 */
@Catch()
export class RedisStreamsErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
