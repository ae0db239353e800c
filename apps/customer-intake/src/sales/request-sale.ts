import { createParamDecorator, HttpStatus, type ExecutionContext } from '@nestjs/common';
import type { SaleKeys } from '@popup-store/keys';
import type { FastifyRequest } from 'fastify';
import { refusalBody } from '../orders/refusal';
import type { SaleRoster } from './sale-roster';

declare module 'fastify' {
  interface FastifyRequest {
    /** The sale a shopper's request is for: its route's `:sale`, or the default sale on the routes without one. */
    sale?: SaleKeys;
  }
}

/** The shopper's API: the routes a sale is resolved for (the storefront's `/s/:sale` page answers on its own). */
const SHOPPER_ROUTES = '/api/';
/** The operator's routes name sales that may not exist yet (a PUT creates one): they resolve their own. */
const OPERATOR_ROUTES = '/api/admin/';

/**
 * Sets `request.sale` from the route's `:sale` (or the default sale), or gives the 404 body for a sale this intake
 * does not sell. Runs in Fastify's `onRequest`, before the body is read: an unknown id costs a map lookup.
 */
export function resolveRequestSale(
  request: FastifyRequest,
  roster: SaleRoster,
): ReturnType<typeof refusalBody> | undefined {
  const route = request.routeOptions.url ?? '';
  if (!route.startsWith(SHOPPER_ROUTES) || route.startsWith(OPERATOR_ROUTES)) return undefined;
  const requested = (request.params as { sale?: unknown } | undefined)?.sale;
  if (requested === undefined) {
    request.sale = roster.defaultSale;
    return undefined;
  }
  request.sale = typeof requested === 'string' ? roster.find(requested) : undefined;
  if (request.sale) return undefined;
  return refusalBody(HttpStatus.NOT_FOUND, 'unknown_sale', 'no such sale here: see the operator’s sales');
}

/** The sale of a shopper's route (see {@link resolveRequestSale}). */
export const ForSale = createParamDecorator((_data: unknown, context: ExecutionContext): SaleKeys => {
  const sale = context.switchToHttp().getRequest<FastifyRequest>().sale;
  if (!sale) throw new Error('ForSale used on a route the sale door does not resolve');
  return sale;
});
