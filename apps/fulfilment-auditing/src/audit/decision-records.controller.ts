import { Controller, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Completion } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { BatchEventPattern } from '@popup-store/streams-transport';
import { AuditLedgerService } from './audit-ledger.service';

/**
 * Reads every completion record as the gears write it and enters it in the audit ledger. The stream keys carry
 * the sale id, known only at boot, so the handler class is made for its sale.
 */
export function decisionRecordsController(sale: SaleKeys): Type<unknown> {
  @Controller()
  class DecisionRecordsController {
    constructor(private readonly ledger: AuditLedgerService) {}

    @BatchEventPattern(sale.completed)
    async completed(@Payload() completions: Completion[]): Promise<void> {
      await this.ledger.recordCompletions(completions);
    }
  }
  return DecisionRecordsController;
}
