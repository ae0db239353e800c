import { Controller } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import type { Completion } from '@popup-store/contracts';
import { saleKeys, type StreamName } from '@popup-store/keys';
import { BatchEventPattern, type RedisStreamsBatchContext, type StreamMessage } from '@popup-store/streams-transport';
import { AuditLedgerService } from './audit-ledger.service';

const COMPLETED: StreamName = 'completed';

/**
 * Reads every completion record as the gears write it and enters it in its sale's audit ledger. The transport
 * reads the completed stream of every sale this service serves, and tells which sale a read came from.
 */
@Controller()
export class DecisionRecordsController {
  constructor(private readonly ledger: AuditLedgerService) {}

  @BatchEventPattern(COMPLETED)
  async completed(@Ctx() batch: RedisStreamsBatchContext): Promise<void> {
    // The entries with their ids: the ledger claims each where its entry is (AuditLedgerService).
    const entries = batch.getMessages() as readonly StreamMessage<Completion>[];
    await this.ledger.recordCompletions(saleKeys(batch.getSource()), entries);
  }
}
