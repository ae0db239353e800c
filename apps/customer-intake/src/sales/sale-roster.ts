import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SaleRegistry } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { BehaviorSubject, type Observable } from 'rxjs';
import { INTAKE_CONFIG, SALE_KEYS, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';

/**
 * The sales this intake sells: the default one (SALE_ID, which the routes without a sale name) and every sale in the
 * registry (`popup:sales`), read again every SALE_REGISTRY_REFRESH_MS. A shopper's sale id is looked up here, never
 * in Redis: whatever ids arrive, only these sales get a snapshot, a line and an event source, so memory follows
 * what operators made, not what clients send.
 */
@Injectable()
export class SaleRoster implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SaleRoster.name);
  private readonly registry: SaleRegistry;
  private readonly sold = new BehaviorSubject<ReadonlyMap<string, SaleKeys>>(new Map());
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(SALE_KEYS) readonly defaultSale: SaleKeys,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {
    this.registry = new SaleRegistry(redis);
    this.sold.next(new Map([[defaultSale.saleId, defaultSale]]));
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.SALE_REGISTRY_REFRESH_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.sold.complete();
  }

  /** The keys of the sale `saleId` if this intake sells it, else undefined (an unknown or malformed id). */
  find(saleId: string): SaleKeys | undefined {
    return this.sold.value.get(saleId);
  }

  /** Every sale sold, the default one first. */
  all(): SaleKeys[] {
    return [...this.sold.value.values()];
  }

  /** The sales sold, now and at every change: the per-sale state of other services follows it. */
  changes(): Observable<ReadonlyMap<string, SaleKeys>> {
    return this.sold;
  }

  /** Sells `sale` from now on: the operator just registered it through this intake. */
  add(sale: SaleKeys): void {
    if (this.sold.value.has(sale.saleId)) return;
    this.sold.next(new Map([...this.sold.value, [sale.saleId, sale]]));
  }

  private async refresh(): Promise<void> {
    try {
      const registered = await this.registry.list();
      const next = new Map([[this.defaultSale.saleId, this.defaultSale]]);
      for (const { saleId } of registered) {
        const known = this.sold.value.get(saleId);
        try {
          next.set(saleId, known ?? saleKeys(saleId));
        } catch {
          // An id someone wrote into the registry by hand that cannot be a sale's: not sold.
        }
      }
      const before = this.sold.value;
      if (next.size !== before.size || [...next.keys()].some((id) => !before.has(id))) this.sold.next(next);
      if (this.failing) this.logger.log('sale registry readable again');
      this.failing = false;
    } catch (error) {
      // The sales known stay sold: a registry read that failed is no reason to stop selling.
      if (!this.failing)
        this.logger.warn(`cannot read the sale registry: ${error instanceof Error ? error.message : error}`);
      this.failing = true;
    }
  }
}
