import { Controller, Get, type MessageEvent, Sse } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { RetryLaterException } from '../orders/refusal';
import { HttpStatus } from '@nestjs/common';
import { SaleSnapshotService, type SaleSnapshot } from './sale-snapshot.service';

@Controller('sale')
export class SaleController {
  constructor(private readonly snapshot: SaleSnapshotService) {}

  /** State, stock left, window and counts. */
  @Get()
  current() {
    const snapshot = this.snapshot.current();
    if (!snapshot) {
      throw new RetryLaterException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'unavailable',
        'the sale status cannot be read now',
      );
    }
    return view(snapshot);
  }

  /** Server-sent events: one `sale` event at connect, then one each time the phase, the stock or the window changes. */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return this.snapshot.changes().pipe(map((snapshot) => ({ type: 'sale', data: view(snapshot) })));
  }
}

function view({ status, backlog }: SaleSnapshot) {
  return {
    phase: status.phase,
    state: status.state,
    stock: status.stock,
    left: status.left,
    window: { startsAt: status.startsAt, endsAt: status.endsAt },
    soldOutAt: status.soldOutAt,
    counts: status.counts,
    backlog,
    at: status.now,
  };
}
