import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SaleGears, type SaleStatus } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { BehaviorSubject, distinctUntilChanged, filter, type Observable, type Subscription } from 'rxjs';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';
import { SaleRoster } from '../sales/sale-roster';

export interface SaleSnapshot {
  readonly status: SaleStatus;
  /** Orders taken but not decided yet: the gears delete a customer entry when they decide its order. */
  readonly backlog: number;
  /** When this snapshot was read (local clock). */
  readonly readAt: number;
}

/** One sale's latest snapshot and the failure state of its reads. */
interface Watched {
  readonly gears: SaleGears;
  readonly latest: BehaviorSubject<SaleSnapshot | undefined>;
  failing: boolean;
}

/**
 * Each sale's status, read from Redis a few times a second and shared by every request. The gears decide each
 * order anyway; this cache only spares Redis a status read per request when tens of thousands arrive at once.
 * It watches exactly the sales the roster sells.
 */
@Injectable()
export class SaleSnapshotService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SaleSnapshotService.name);
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private roster: Subscription | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    private readonly sales: SaleRoster,
  ) {}

  async onModuleInit(): Promise<void> {
    this.roster = this.sales.changes().subscribe((sold) => this.follow(sold));
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.STATUS_REFRESH_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.roster?.unsubscribe();
    for (const { latest } of this.watched.values()) latest.complete();
  }

  /** The latest snapshot of `sale` if it is fresh, else undefined: Redis has not answered for a while. */
  current(sale: SaleKeys): SaleSnapshot | undefined {
    const snapshot = this.watched.get(sale.saleId)?.latest.value;
    const maxAge = Math.max(1000, this.config.STATUS_REFRESH_MS * 10);
    return snapshot && Date.now() - snapshot.readAt <= maxAge ? snapshot : undefined;
  }

  /**
   * Every change a page shows, for the server-sent events: phase, stock, the window (an operator who moves the
   * opening must reach the pages already open, which count down to it by themselves) and the run.
   */
  changes(sale: SaleKeys): Observable<SaleSnapshot> {
    const watched = this.watched.get(sale.saleId) ?? this.watch(sale);
    return watched.latest.pipe(
      filter((snapshot): snapshot is SaleSnapshot => snapshot !== undefined),
      distinctUntilChanged(
        ({ status: a }, { status: b }) =>
          a.phase === b.phase &&
          a.left === b.left &&
          a.stock === b.stock &&
          a.startsAt === b.startsAt &&
          a.endsAt === b.endsAt &&
          a.run === b.run,
      ),
    );
  }

  /** Watches the sales sold, and no other. */
  private follow(sold: ReadonlyMap<string, SaleKeys>): void {
    for (const [saleId, watched] of this.watched) {
      if (sold.has(saleId)) continue;
      watched.latest.complete();
      this.watched.delete(saleId);
    }
    // A sale just added is read at once, not at the next refresh: its first shoppers are likely on their way.
    for (const sale of sold.values()) if (!this.watched.has(sale.saleId)) void this.read(this.watch(sale));
  }

  private watch(sale: SaleKeys): Watched {
    const watched: Watched = {
      gears: new SaleGears(this.redis, sale),
      latest: new BehaviorSubject<SaleSnapshot | undefined>(undefined),
      failing: false,
    };
    this.watched.set(sale.saleId, watched);
    return watched;
  }

  private async refresh(): Promise<void> {
    await Promise.all([...this.watched.values()].map((watched) => this.read(watched)));
  }

  private async read(watched: Watched): Promise<void> {
    const { gears } = watched;
    try {
      const [status, customers] = await Promise.all([gears.status(), this.redis.xlen(gears.sale.customers)]);
      watched.latest.next({ status, backlog: customers, readAt: Date.now() });
      if (watched.failing) this.logger.log(`sale ${gears.sale.saleId}: status readable again`);
      watched.failing = false;
    } catch (error) {
      if (!watched.failing)
        this.logger.warn(
          `sale ${gears.sale.saleId}: cannot read the status: ${error instanceof Error ? error.message : error}`,
        );
      watched.failing = true;
    }
  }
}
