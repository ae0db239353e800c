import { HttpStatus, Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { MAX_WATCHED, SaleGears, type RoomWatch, type Whereabouts } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { BehaviorSubject, distinctUntilChanged, Observable, type Subscriber } from 'rxjs';
import { INTAKE_CONFIG, SALE_KEYS, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';
import { AddressCounts } from '../limits/address-counts';
import { redisAway, RetryLaterException } from '../orders/refusal';
import { SaleSnapshotService } from '../sale/sale-snapshot.service';
import { AdmissionPasses } from './admission-passes';

/** What a customer in the waiting room is told: where it stands, and its pass once admitted. */
export interface LineUpdate {
  readonly where: Whereabouts['where'];
  /** Customers ahead, while waiting. */
  readonly ahead?: number;
  /** The estimated wait, ms: the customers ahead (and this one) at the admission rate. */
  readonly estimatedWaitMs?: number;
  /** Admissions per second now. */
  readonly admitPerSecond: number;
  /** Once admitted: the pass `POST /api/orders` needs (header `Admission-Pass`), and when it lapses (ms). */
  readonly pass?: string;
  readonly passExpiresAt?: number;
}

/** A live line update is sent at least this often, unchanged or not: a heartbeat the client can count on. */
const HEARTBEAT_MS = 10_000;

/**
 * This process's side of the sale's waiting room (docs/waiting-room.md). The line itself lives in Redis (the
 * gears' popup_room_* functions), shared by every intake: this service joins customers to it, and every
 * QUEUE_WATCH_MS calls popup_room_watch once per 1,000 customers it streams to, which brings the room up to date,
 * keeps their places, and tells each where it stands. It also remembers whether the room is on, for the order
 * door (AdmissionGuard).
 */
@Injectable()
export class WaitingRoom implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WaitingRoom.name);
  private readonly gears: SaleGears;
  private readonly listeners = new Map<string, Set<Subscriber<LineUpdate>>>();
  private readonly lastSent = new Map<string, { key: string; at: number }>();
  private readonly passes = new Map<string, { pass: string; until: number }>();
  private readonly streams: AddressCounts;
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  private latest: Pick<RoomWatch, 'on' | 'closed' | 'rate'> = { on: false, closed: false, rate: 0 };
  private readonly admittingNow = new BehaviorSubject(false);

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(SALE_KEYS) sale: SaleKeys,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    private readonly papers: AdmissionPasses,
    private readonly snapshot: SaleSnapshotService,
  ) {
    this.gears = new SaleGears(redis, sale);
    this.streams = new AddressCounts(config.MAX_QUEUE_STREAMS, config.MAX_EVENT_STREAMS_PER_ADDRESS);
  }

  async onModuleInit(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.QUEUE_WATCH_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.admittingNow.complete();
    for (const subscribers of this.listeners.values()) for (const subscriber of subscribers) subscriber.complete();
  }

  /** Whether orders need a pass: the room is on and its line not closed (as of the last watch). */
  admitting(): boolean {
    return this.admittingNow.value;
  }

  /** {@link admitting} now and at every change, for the sale's event stream. */
  admittingChanges(): Observable<boolean> {
    return this.admittingNow.pipe(distinctUntilChanged());
  }

  /** The customer joins the line, or hears again where it stands. */
  async join(customer: string): Promise<LineUpdate> {
    const answer = await this.gears.joinRoom(this.sale(), customer);
    return this.update(customer, answer.whereabouts, answer.rate);
  }

  /**
   * The customer's live updates, one at subscription and then on every change (or heartbeat). Listening keeps the
   * place; a customer who stops loses it after the room's timeout. Bounded as the sale's event streams are: at
   * most MAX_QUEUE_STREAMS per process (503) and MAX_EVENT_STREAMS_PER_ADDRESS per client address (429).
   */
  updates(customer: string, address: string): Observable<LineUpdate> {
    const taken = this.streams.take(address);
    if (taken === 'total') {
      throw new RetryLaterException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'too_many_streams',
        'this store follows as many lines as it can; retry shortly',
        5,
      );
    }
    if (taken === 'address') {
      throw new RetryLaterException(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_streams_from_address',
        'this address holds as many event streams as it may; share one',
        5,
      );
    }
    return new Observable<LineUpdate>((subscriber) => {
      const subscribers = this.listeners.get(customer) ?? new Set();
      subscribers.add(subscriber);
      this.listeners.set(customer, subscribers);
      this.lastSent.delete(customer);
      return () => {
        taken();
        subscribers.delete(subscriber);
        if (subscribers.size === 0) {
          this.listeners.delete(customer);
          this.lastSent.delete(customer);
          this.passes.delete(customer);
        }
      };
    });
  }

  private async tick(): Promise<void> {
    // No sale read yet (starting, or Redis away): nothing to bring up to date with.
    if (this.watching || !this.snapshot.current()) return;
    this.watching = true;
    try {
      const customers = [...this.listeners.keys()];
      let first = true;
      for (let i = 0; first || i < customers.length; i += MAX_WATCHED) {
        first = false;
        const chunk = customers.slice(i, i + MAX_WATCHED);
        const watch = await this.gears.watchRoom(this.sale(), chunk);
        this.latest = watch;
        this.admittingNow.next(watch.on && !watch.closed);
        await Promise.all(
          chunk.map(async (customer, k) =>
            this.send(customer, await this.update(customer, watch.customers[k] as Whereabouts, watch.rate)),
          ),
        );
      }
    } catch (error) {
      this.logger.warn(`cannot watch the waiting room: ${error instanceof Error ? error.message : error}`);
    } finally {
      this.watching = false;
    }
  }

  /** The sale as this process last read it (every STATUS_REFRESH_MS): the room functions take it as arguments. */
  private sale() {
    const snapshot = this.snapshot.current();
    if (!snapshot) throw redisAway();
    return snapshot.status;
  }

  private send(customer: string, update: LineUpdate): void {
    const key = `${update.where}:${update.ahead ?? ''}:${update.pass ?? ''}`;
    const last = this.lastSent.get(customer);
    const now = Date.now();
    if (last && last.key === key && now - last.at < HEARTBEAT_MS) return;
    this.lastSent.set(customer, { key, at: now });
    for (const subscriber of this.listeners.get(customer) ?? []) subscriber.next(update);
  }

  private async update(customer: string, whereabouts: Whereabouts, rate: number): Promise<LineUpdate> {
    const admitPerSecond = rate;
    switch (whereabouts.where) {
      case 'waiting':
        return {
          where: 'waiting',
          ahead: whereabouts.ahead,
          estimatedWaitMs: Math.ceil(((whereabouts.ahead + 1) * 1000) / Math.max(1, rate)),
          admitPerSecond,
        };
      case 'admitted': {
        // One pass per admission, signed once: every update until it lapses carries the same.
        let issued = this.passes.get(customer);
        if (issued?.until !== whereabouts.until) {
          issued = { pass: await this.papers.issuePass(customer, whereabouts.until), until: whereabouts.until };
          if (this.listeners.has(customer)) this.passes.set(customer, issued);
        }
        return { where: 'admitted', admitPerSecond, pass: issued.pass, passExpiresAt: issued.until };
      }
      default:
        return { where: whereabouts.where, admitPerSecond };
    }
  }
}
