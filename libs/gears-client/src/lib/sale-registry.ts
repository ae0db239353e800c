import { SALE_REGISTRY_KEY, saleKeys } from '@popup-store/keys';
import type { RedisConnection } from './gears-function';

/** A sale in the registry, and when the operator last changed it (ms since the epoch). */
export interface RegisteredSale {
  readonly saleId: string;
  readonly changedAt: number;
}

/**
 * The registry of sales (`popup:sales`): the operator's API registers a sale each time it configures or switches
 * it, and the services list it to know which sales to serve. A sale's own state stays in its hash, under its tag.
 */
export class SaleRegistry {
  constructor(private readonly redis: RedisConnection) {}

  /** Registers `saleId` (a valid sale id, or this throws), or moves its change time to `at`. */
  async register(saleId: string, at: number = Date.now()): Promise<void> {
    saleKeys(saleId);
    await this.redis.zadd(SALE_REGISTRY_KEY, at, saleId);
  }

  /** Every registered sale, oldest change first. */
  async list(): Promise<RegisteredSale[]> {
    const flat = await this.redis.zrange(SALE_REGISTRY_KEY, 0, -1, 'WITHSCORES');
    const sales: RegisteredSale[] = [];
    for (let i = 0; i < flat.length; i += 2) sales.push({ saleId: flat[i], changedAt: Number(flat[i + 1]) });
    return sales;
  }
}
