import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { saleReportContract } from '@popup-store/contracts';
import type { SaleWork } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { AUDITING_CONFIG, type AuditingConfig } from '../app/auditing-config';
import { AUDIT_REDIS, SalesGears } from '../app/audit-connections';
import { computeSaleReport } from '../report/sale-report';
import { AuditLedgerService } from './audit-ledger.service';

/** One sale being watched, and what its watch remembers between checks. */
interface Watched {
  readonly sale: SaleKeys;
  /** The run whose stock mismatch was alerted: once per run, and a new run is audited afresh. */
  stockAlertedRun: number | undefined;
  lastFailure: string;
}

/**
 * Watches every sale this service serves as it runs: the stock must always add up (left + sold = initial), and once
 * a sale is closed and every order decided, its final report is written. A report is rewritten if late decisions
 * change it. A sale LiveSales retires gets one last check, which writes its report.
 */
@Injectable()
export class SaleWatchService implements SaleWork, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SaleWatchService.name);
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private statusFailure: string | undefined = 'no status call yet';

  constructor(
    @Inject(AUDIT_REDIS) private readonly redis: Redis,
    @Inject(AUDITING_CONFIG) private readonly config: AuditingConfig,
    private readonly gears: SalesGears,
    private readonly ledger: AuditLedgerService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () =>
        (this.checking ??= Promise.all([...this.watched.values()].map((watched) => this.check(watched)))
          .then(() => undefined)
          .finally(() => (this.checking = undefined))),
      this.config.AUDIT_INTERVAL_MS,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  async serve(sale: SaleKeys): Promise<void> {
    if (!this.watched.has(sale.saleId))
      this.watched.set(sale.saleId, { sale, stockAlertedRun: undefined, lastFailure: '' });
  }

  /** A last check (the sale is closed and read to its end: it writes the report), then the watch ends. */
  async retire(sale: SaleKeys): Promise<void> {
    const watched = this.watched.get(sale.saleId);
    if (!watched) return;
    await this.checking;
    await this.check(watched);
    this.watched.delete(sale.saleId);
    this.gears.forget(sale);
  }

  /** Why the last status call failed (the library gone and not loadable, Redis away), undefined when it answered. */
  gearsFailure(): string | undefined {
    return this.statusFailure;
  }

  private async check(watched: Watched): Promise<void> {
    const { sale } = watched;
    try {
      const status = await this.gears
        .of(sale)
        .status()
        .then(
          (answer) => ((this.statusFailure = undefined), answer),
          (error: unknown) => {
            this.statusFailure = error instanceof Error ? error.message : String(error);
            throw error;
          },
        );
      if (status.phase === 'unconfigured') return;
      if (status.left + status.counts.completed !== status.stock && watched.stockAlertedRun !== status.run) {
        watched.stockAlertedRun = status.run;
        await this.ledger.violated(sale, {
          kind: 'stock_mismatch',
          message: `stock does not add up: ${status.left} left + ${status.counts.completed} sold != ${status.stock}`,
          details: { left: status.left, sold: status.counts.completed, stock: status.stock },
        });
      }
      const [seen] = await Promise.all([
        this.redis.hlen(sale.auditBuyers),
        this.redis.hsetnx(sale.audit, 'status', 'ok'),
      ]);
      await this.redis.hset(sale.audit, 'completionsSeen', seen, 'checkedAt', Date.now());
      if (status.phase === 'closed' || status.phase === 'ended') await this.reportIfDrained(sale);
      watched.lastFailure = '';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== watched.lastFailure) this.logger.warn(`audit check of ${sale.saleId} failed: ${message}`);
      watched.lastFailure = message;
    }
  }

  private async reportIfDrained(sale: SaleKeys): Promise<void> {
    const [customers, orders, previous] = await Promise.all([
      this.redis.xlen(sale.customers),
      this.redis.xlen(sale.orders),
      this.redis.get(sale.report),
    ]);
    if (customers > 0 || orders > 0) return;
    const decided = await this.redis.hlen(sale.decisions);
    if (previous && saleReportContract.schema.parse(JSON.parse(previous)).decided === decided) return;
    const report = await computeSaleReport(this.redis, sale);
    await this.redis.set(sale.report, JSON.stringify(report));
    const verdict = report.ok ? 'every invariant held' : `VIOLATIONS: ${report.violations.join('; ')}`;
    this.logger.log(
      `sale ${sale.saleId} report written: ${report.sold} sold of ${report.stock}, ${report.decided} orders decided; ${verdict}`,
    );
  }
}
