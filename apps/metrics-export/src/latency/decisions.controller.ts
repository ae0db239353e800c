import { Controller, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Completion, Rejection } from '@popup-store/contracts';
import type { SaleKeys } from '@popup-store/keys';
import { BatchEventPattern } from '@popup-store/streams-transport';
import { DecisionLatencies } from './decision-latencies';

/** The handlers of the sale's completed and rejected streams, whose keys depend on SALE_ID: declared per sale, at boot. */
export function decisionsController(sale: SaleKeys): Type<unknown> {
  @Controller()
  class DecisionsController {
    constructor(private readonly latencies: DecisionLatencies) {}

    @BatchEventPattern(sale.completed)
    completed(@Payload() completions: Completion[]): void {
      this.latencies.completed(completions);
    }

    @BatchEventPattern(sale.rejected)
    rejected(@Payload() rejections: Rejection[]): void {
      this.latencies.rejected(rejections);
    }
  }
  return DecisionsController;
}
