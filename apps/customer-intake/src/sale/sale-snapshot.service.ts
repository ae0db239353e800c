import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SaleGears, type SaleStatus } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { BehaviorSubject, distinctUntilChanged, filter, type Observable } from 'rxjs';
import { INTAKE_CONFIG, SALE_KEYS, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';

export interface SaleSnapshot {
  readonly status: SaleStatus;
  /** Orders taken but not decided yet: the gears delete a customer entry when they decide its order. */
  readonly backlog: number;
  /** When this snapshot was read (local clock). */
  readonly readAt: number;
}

/**
 * The sale's status, read from Redis a few times a second and shared by every request. The gears decide each
 * order anyway; this cache only spares Redis a status read per request when tens of thousands arrive at once.
 */
@Injectable()
export class SaleSnapshotService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SaleSnapshotService.name);
  private readonly latest = new BehaviorSubject<SaleSnapshot | undefined>(undefined);
  private readonly gears: SaleGears;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SALE_KEYS) private readonly sale: SaleKeys,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {
    this.gears = new SaleGears(redis, sale);
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.STATUS_REFRESH_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.latest.complete();
  }

  /** The latest snapshot if it is fresh, else undefined: Redis has not answered for a while. */
  current(): SaleSnapshot | undefined {
    const snapshot = this.latest.value;
    const maxAge = Math.max(1000, this.config.STATUS_REFRESH_MS * 10);
    return snapshot && Date.now() - snapshot.readAt <= maxAge ? snapshot : undefined;
  }

  /**
   * Every change a page shows, for the server-sent events: phase, stock, and the window (an operator who moves the
   * opening must reach the pages already open, which count down to it by themselves).
   */
  changes(): Observable<SaleSnapshot> {
    return this.latest.pipe(
      filter((snapshot): snapshot is SaleSnapshot => snapshot !== undefined),
      distinctUntilChanged(
        ({ status: a }, { status: b }) =>
          a.phase === b.phase &&
          a.left === b.left &&
          a.stock === b.stock &&
          a.startsAt === b.startsAt &&
          a.endsAt === b.endsAt,
      ),
    );
  }

  private async refresh(): Promise<void> {
    try {
      const [status, customers] = await Promise.all([this.gears.status(), this.redis.xlen(this.sale.customers)]);
      this.latest.next({ status, backlog: customers, readAt: Date.now() });
      if (this.failing) this.logger.log('sale status readable again');
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.logger.warn(`cannot read the sale status: ${error instanceof Error ? error.message : error}`);
      this.failing = true;
    }
  }
}
