import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { admissionPassKey, type SaleKeys } from '@popup-store/keys';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { REDIS } from '../app/redis.provider';
import { redisAway, refusal } from '../orders/refusal';
import { AdmissionPasses } from './admission-passes';
import { WaitingRoom } from './waiting-room.service';

/**
 * While the waiting room is on, an order needs the customer's admission pass (`Admission-Pass` header): 403
 * `not_admitted` without one, and the pass's own reason when it is another customer's, lapsed, forged, or used.
 * A pass buys once: the first order that shows it claims it in Redis (SET NX, for as long as the pass lasts),
 * recording the order's Idempotency-Key, so a retry of that same order still passes and any other is refused.
 * Runs after SignedInGuard, on a route the sale door resolved the sale of. Every order it lets through without a
 * pass is an arrival the room counts, to turn itself on when `auto` is set.
 */
@Injectable()
export class AdmissionGuard implements CanActivate {
  constructor(
    private readonly room: WaitingRoom,
    private readonly papers: AdmissionPasses,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const sale = request.sale as SaleKeys;
    if (!this.room.admitting(sale)) {
      this.room.arrived(sale);
      return true;
    }
    const header = request.headers['admission-pass'];
    if (typeof header !== 'string' || header === '') {
      throw refusal(
        HttpStatus.FORBIDDEN,
        'not_admitted',
        'the waiting room is on: join the line (POST /api/sales/:sale/queue) and order with its pass',
      );
    }
    const pass = await this.papers.checkPass(sale, header, request.customer as string);
    const order = String(request.headers['idempotency-key'] ?? '');
    const claimedBy = await this.redis
      .set(admissionPassKey(sale, pass.id), order, 'PXAT', pass.expiresAt, 'NX', 'GET')
      .catch(() => {
        throw redisAway();
      });
    if (claimedBy !== null && (order === '' || claimedBy !== order)) {
      throw refusal(HttpStatus.FORBIDDEN, 'pass_used', 'this admission pass bought already; one pass, one order');
    }
    return true;
  }
}
