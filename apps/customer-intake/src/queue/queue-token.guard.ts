import { HttpStatus, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { SaleKeys } from '@popup-store/keys';
import type { FastifyRequest } from 'fastify';
import { refusal } from '../orders/refusal';
import { AdmissionPasses } from './admission-passes';

/**
 * The live line is opened with the queue token `POST .../queue` gave (`?token=`): an EventSource cannot send an
 * Authorization header. The customer is the token's from then on, as SignedInGuard's is.
 */
@Injectable()
export class QueueTokenGuard implements CanActivate {
  constructor(private readonly papers: AdmissionPasses) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest<{ Querystring: { token?: unknown } }>>();
    const token = request.query.token;
    if (typeof token !== 'string' || token === '') {
      throw refusal(
        HttpStatus.UNAUTHORIZED,
        'missing_queue_token',
        'open the line with ?token=<the queue token of POST .../queue>',
      );
    }
    request.customer = await this.papers.queueTokenCustomer(request.sale as SaleKeys, token);
    return true;
  }
}
