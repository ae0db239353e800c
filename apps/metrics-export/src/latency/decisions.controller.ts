import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Completion, Rejection } from '@popup-store/contracts';
import { saleKeys, type StreamName } from '@popup-store/keys';
import { BatchEventPattern, type RedisStreamsBatchContext } from '@popup-store/streams-transport';
import { DecisionLatencies } from './decision-latencies';

const COMPLETED: StreamName = 'completed';
const REJECTED: StreamName = 'rejected';

/** The handlers of the completed and rejected streams of every sale served; the context tells which sale. */
@Controller()
export class DecisionsController {
  constructor(private readonly latencies: DecisionLatencies) {}

  @BatchEventPattern(COMPLETED)
  completed(@Payload() completions: Completion[], @Ctx() batch: RedisStreamsBatchContext): void {
    this.latencies.completed(saleKeys(batch.getSource()), completions);
  }

  @BatchEventPattern(REJECTED)
  rejected(@Payload() rejections: Rejection[], @Ctx() batch: RedisStreamsBatchContext): void {
    this.latencies.rejected(saleKeys(batch.getSource()), rejections);
  }
}
