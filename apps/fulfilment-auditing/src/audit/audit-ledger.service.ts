import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Alert, Completion } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import type { RedisStreamsClient, StreamMessage } from '@popup-store/streams-transport';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { ALERTS_CLIENT, AUDIT_REDIS, SalesGears } from '../app/audit-connections';

/** popup_audit_claims takes at most this many completions per call (a Lua unpack limit, as popup_decide_orders). */
const MAX_CLAIMS = 1000;

/**
 * The auditor's own record of every completion of each sale, kept in Redis so it survives restarts: which order got each unit
 * and which order served each customer. A second order for the same unit or customer is a violation; the same
 * order seen again (a re-delivery) is not. Claims are made by `popup_audit_claims`, on the node that holds the
 * completion, and only while it is there: a completion of an earlier run (a start-over archived its stream, and
 * its ledger, after the batch was read) or one lost with a master in a failover claims nothing.
 */
@Injectable()
export class AuditLedgerService {
  private readonly logger = new Logger(AuditLedgerService.name);

  constructor(
    @Inject(AUDIT_REDIS) private readonly redis: Redis,
    @Inject(ALERTS_CLIENT) private readonly alerts: RedisStreamsClient,
    private readonly gears: SalesGears,
  ) {}

  async recordCompletions(sale: SaleKeys, completions: readonly StreamMessage<Completion>[]): Promise<void> {
    const taken: { completion: Completion; buyer: boolean; unit: boolean }[] = [];
    for (let from = 0; from < completions.length; from += MAX_CLAIMS) {
      const batch = completions.slice(from, from + MAX_CLAIMS);
      // A failed call (a master failing over, a connection lost) throws: the batch fails and is delivered again.
      const claims = await this.gears
        .of(sale)
        .claimForAudit(batch.map(({ id, data }) => ({ entryId: id, ...data })));
      claims.forEach((claim, index) => {
        const completion = batch[index]?.data;
        if (!completion) return;
        if (claim.absent) {
          this.logger.warn(
            `audit of ${sale.saleId}: completion ${batch[index]?.id} (order ${completion.orderId}, unit ` +
              `${completion.unit}) is no longer in its stream; not entered (a start-over, or a failover that lost it)`,
          );
        } else if (!claim.buyer || !claim.unit) {
          taken.push({ completion, buyer: !claim.buyer, unit: !claim.unit });
        }
      });
    }
    for (const violation of await this.violationsAmong(sale, taken)) await this.violated(sale, violation);
  }

  /** Marks the audit violated, raises an alert on the alerts stream and logs it: an operator must look at it. */
  async violated(sale: SaleKeys, alert: Omit<Alert, 'at'>): Promise<void> {
    this.logger.error(`audit of ${sale.saleId}: ${alert.message}`);
    await this.redis.multi().hincrby(sale.audit, 'violations', 1).hset(sale.audit, 'status', 'violated').exec();
    await lastValueFrom(this.alerts.emit(sale.alerts, { ...alert, at: Date.now() }));
  }

  /** Among completions whose customer or unit was already claimed, those claimed by another order. */
  private async violationsAmong(sale: SaleKeys, taken: { completion: Completion; buyer: boolean; unit: boolean }[]) {
    const violations: Omit<Alert, 'at'>[] = [];
    if (taken.length === 0) return violations;
    // Who holds each claim, read for the whole batch in one round trip (a redelivered batch is all taken).
    const holders = this.redis.pipeline();
    for (const { completion } of taken) {
      holders.hget(sale.auditBuyers, completion.customerId).hget(sale.auditUnits, String(completion.unit));
    }
    const replies = await holders.exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (!replies || failed) throw failed ?? new Error('the audit read got no reply');
    taken.forEach(({ completion, buyer, unit }, index) => {
      const buyerOrder = replies[2 * index]?.[1] as string | null;
      const unitOrder = replies[2 * index + 1]?.[1] as string | null;
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
    });
    return violations;
  }
}
