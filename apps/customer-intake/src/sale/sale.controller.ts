import { Controller, Get, type MessageEvent, Sse } from '@nestjs/common';
import { combineLatest, map, type Observable } from 'rxjs';
import { WaitingRoom } from '../queue/waiting-room.service';
import { RetryLaterException } from '../orders/refusal';
import { HttpStatus } from '@nestjs/common';
import { SaleSnapshotService, type SaleSnapshot } from './sale-snapshot.service';

@Controller('sale')
export class SaleController {
  constructor(
    private readonly snapshot: SaleSnapshotService,
    private readonly room: WaitingRoom,
  ) {}

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
    return view(snapshot, this.room.admitting());
  }

  /**
   * Server-sent events: one `sale` event at connect, then one each time the phase, the stock, the window or the
   * waiting room's switch changes.
   */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return combineLatest([this.snapshot.changes(), this.room.admittingChanges()]).pipe(
      map(([snapshot, waitingRoom]) => ({ type: 'sale', data: view(snapshot, waitingRoom) })),
    );
  }
}

/** The sale as shoppers see it; `waitingRoom`: orders need an admission from the line (docs/waiting-room.md). */
function view({ status, backlog }: SaleSnapshot, waitingRoom: boolean) {
  return {
    phase: status.phase,
    state: status.state,
    stock: status.stock,
    left: status.left,
    window: { startsAt: status.startsAt, endsAt: status.endsAt },
    soldOutAt: status.soldOutAt,
    counts: status.counts,
    backlog,
    waitingRoom,
    at: status.now,
  };
}
