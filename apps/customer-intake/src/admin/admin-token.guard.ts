import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';
import { refusal } from '../orders/refusal';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Lets through requests bearing ADMIN_TOKEN; compares digests in constant time so timing tells nothing. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(INTAKE_CONFIG) private readonly config: IntakeConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.ADMIN_TOKEN;
    if (!expected) throw refusal(HttpStatus.FORBIDDEN, 'admin_disabled', 'operator endpoints are off: set ADMIN_TOKEN');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!timingSafeEqual(digest(token), digest(expected))) {
      throw refusal(
        HttpStatus.UNAUTHORIZED,
        'unauthorized',
        'a valid operator token is required (Authorization: Bearer ...)',
      );
    }
    return true;
  }
}
