import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Alert, Completion } from '@popup-store/contracts';
import { runArchive, type SaleKeys } from '@popup-store/keys';
import type { RedisStreamsClient } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { ALERTS_CLIENT, AUDIT_REDIS } from '../app/audit-connections';

/**
 * The auditor's own record of every completion of each sale, kept in Redis so it survives restarts: which order got each unit
 * and which order served each customer. A second order for the same unit or customer is a violation; the same
 * order seen again (a re-delivery) is not.
 */
@Injectable()
export class AuditLedgerService {
  private readonly logger = new Logger(AuditLedgerService.name);

  constructor(
    @Inject(AUDIT_REDIS) private readonly redis: Redis,
    @Inject(ALERTS_CLIENT) private readonly alerts: RedisStreamsClient,
  ) {}

  async recordCompletions(sale: SaleKeys, completions: readonly Completion[]): Promise<void> {
    const claims = this.redis.pipeline();
    for (const { orderId, customerId, unit } of completions) {
      claims.hsetnx(sale.auditBuyers, customerId, orderId).hsetnx(sale.auditUnits, String(unit), orderId);
    }
    const replies = await claims.exec();
    // A claim that failed (a master failing over, a connection lost mid-pipeline) is not a claim taken by another
    // order: the batch fails and is delivered again. Read as "taken", it was alerted as a unit sold "after order
    // null" in the failover chaos spec.
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (!replies || failed) throw failed ?? new Error('the audit claims got no reply');
    const taken: { completion: Completion; buyer: boolean; unit: boolean }[] = [];
    completions.forEach((completion, index) => {
      const buyerNew = replies?.[2 * index]?.[1] === 1;
      const unitNew = replies?.[2 * index + 1]?.[1] === 1;
      if (!buyerNew || !unitNew) taken.push({ completion, buyer: !buyerNew, unit: !unitNew });
    });
    for (const violation of await this.violationsAmong(sale, taken)) await this.violated(sale, violation);
  }

  /** Marks the audit violated, raises an alert on the alerts stream and logs it: an operator must look at it. */
  async violated(sale: SaleKeys, alert: Omit<Alert, 'at'>): Promise<void> {
    this.logger.error(`audit of ${sale.saleId}: ${alert.message}`);
    await this.redis.multi().hincrby(sale.audit, 'violations', 1).hset(sale.audit, 'status', 'violated').exec();
    await lastValueFrom(this.alerts.emit(sale.alerts, { ...alert, at: Date.now() }));
  }

  /**
   * Among completions whose customer or unit was already claimed, those claimed by another order of the same run.
   * A start-over (a new run) archives the ledger with the completed stream, but a batch of the earlier run read
   * just before may still be entered after it. An order the live run never decided and the run before did is of
   * that earlier run: its claim is no evidence (the later order takes it over) and it raises nothing itself. A
   * record of no run at all (forged) is still a violation.
   */
  private async violationsAmong(sale: SaleKeys, taken: { completion: Completion; buyer: boolean; unit: boolean }[]) {
    const violations: Omit<Alert, 'at'>[] = [];
    for (const { completion, ...claimed } of taken) {
      let { buyer, unit } = claimed;
      const [buyerOrder, unitOrder] = await this.redis
        .multi()
        .hget(sale.auditBuyers, completion.customerId)
        .hget(sale.auditUnits, String(completion.unit))
        .exec()
        .then((replies) => {
          const failed = replies?.find(([error]) => error !== null)?.[0];
          if (!replies || failed) throw failed ?? new Error('the audit read got no reply');
          return replies.map(([, value]) => value as string | null);
        });
      const earlier = await this.ofEarlierRun(sale, [completion.orderId, buyerOrder, unitOrder]);
      if (earlier.has(completion.orderId)) continue;
      if (earlier.size > 0) {
        const takeOver = this.redis.multi();
        if (buyerOrder !== null && earlier.has(buyerOrder)) {
          takeOver.hset(sale.auditBuyers, completion.customerId, completion.orderId);
          buyer = false;
        }
        if (unitOrder !== null && earlier.has(unitOrder)) {
          takeOver.hset(sale.auditUnits, String(completion.unit), completion.orderId);
          unit = false;
        }
        await takeOver.exec();
      }
      if (buyer && buyerOrder !== completion.orderId) {
        violations.push({
          kind: 'customer_served_twice',
          message: `customer ${completion.customerId} got a unit with order ${completion.orderId} after order ${buyerOrder}`,
          details: { ...completion, firstOrderId: buyerOrder },
        });
      }
      if (unit && unitOrder !== completion.orderId) {
        violations.push({
          kind: 'unit_sold_twice',
          message: `unit ${completion.unit} went to order ${completion.orderId} after order ${unitOrder}`,
          details: { ...completion, firstOrderId: unitOrder },
        });
      }
    }
    return violations;
  }

  /** Which of `orders` the run before the live one decided and the live one did not (none in a first run). */
  private async ofEarlierRun(sale: SaleKeys, orders: (string | null)[]): Promise<Set<string>> {
    const named = [...new Set(orders.filter((order): order is string => order !== null))];
    const [run] = await this.redis.hmget(sale.state, 'run');
    const previous = Number(run ?? 1) - 1;
    if (previous < 1) return new Set();
    const [live, before] = await Promise.all([
      this.redis.hmget(sale.decisions, ...named),
      this.redis.hmget(runArchive(sale, previous).decisions, ...named),
    ]);
    return new Set(named.filter((_, i) => live[i] === null && before[i] !== null));
  }
}
