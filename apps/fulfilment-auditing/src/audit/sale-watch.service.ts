import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { saleReportContract } from '@popup-store/contracts';
import type { SaleGears } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { AUDITING_CONFIG, SALE_KEYS, type AuditingConfig } from '../app/auditing-config';
import { AUDIT_REDIS, SALE_GEARS } from '../app/audit-connections';
import { computeSaleReport } from '../report/sale-report';
import { AuditLedgerService } from './audit-ledger.service';

/**
 * Watches the sale as it runs: the stock must always add up (left + sold = initial), and once the sale is closed
 * and every order decided, the final report is written. A report is rewritten if late decisions change it.
 */
@Injectable()
export class SaleWatchService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SaleWatchService.name);
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  /** The run whose stock mismatch was alerted: once per run, and a new run is audited afresh. */
  private stockAlertedRun: number | undefined;
  private lastFailure = '';
  private statusFailure: string | undefined = 'no status call yet';

  constructor(
    @Inject(AUDIT_REDIS) private readonly redis: Redis,
    @Inject(SALE_KEYS) private readonly sale: SaleKeys,
    @Inject(AUDITING_CONFIG) private readonly config: AuditingConfig,
    @Inject(SALE_GEARS) private readonly gears: SaleGears,
    private readonly ledger: AuditLedgerService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => (this.checking ??= this.check().finally(() => (this.checking = undefined))),
      this.config.AUDIT_INTERVAL_MS,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** Why the last status call failed (the library gone and not loadable, Redis away), undefined when it answered. */
  gearsFailure(): string | undefined {
    return this.statusFailure;
  }

  private async check(): Promise<void> {
    try {
      const status = await this.gears.status().then(
        (answer) => ((this.statusFailure = undefined), answer),
        (error: unknown) => {
          this.statusFailure = error instanceof Error ? error.message : String(error);
          throw error;
        },
      );
      if (status.phase === 'unconfigured') return;
      if (status.left + status.counts.completed !== status.stock && this.stockAlertedRun !== status.run) {
        this.stockAlertedRun = status.run;
        await this.ledger.violated({
          kind: 'stock_mismatch',
          message: `stock does not add up: ${status.left} left + ${status.counts.completed} sold != ${status.stock}`,
          details: { left: status.left, sold: status.counts.completed, stock: status.stock },
        });
      }
      const [seen] = await Promise.all([
        this.redis.hlen(this.sale.auditBuyers),
        this.redis.hsetnx(this.sale.audit, 'status', 'ok'),
      ]);
      await this.redis.hset(this.sale.audit, 'completionsSeen', seen, 'checkedAt', Date.now());
      if (status.phase === 'closed' || status.phase === 'ended') await this.reportIfDrained();
      this.lastFailure = '';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastFailure) this.logger.warn(`audit check failed: ${message}`);
      this.lastFailure = message;
    }
  }

  private async reportIfDrained(): Promise<void> {
    const [customers, orders, previous] = await Promise.all([
      this.redis.xlen(this.sale.customers),
      this.redis.xlen(this.sale.orders),
      this.redis.get(this.sale.report),
    ]);
    if (customers > 0 || orders > 0) return;
    const decided = await this.redis.hlen(this.sale.decisions);
    if (previous && saleReportContract.schema.parse(JSON.parse(previous)).decided === decided) return;
    const report = await computeSaleReport(this.redis, this.sale);
    await this.redis.set(this.sale.report, JSON.stringify(report));
    const verdict = report.ok ? 'every invariant held' : `VIOLATIONS: ${report.violations.join('; ')}`;
    this.logger.log(
      `sale report written: ${report.sold} sold of ${report.stock}, ${report.decided} orders decided; ${verdict}`,
    );
  }
}
