import { HttpStatus, Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { MAX_WATCHED, SaleGears, type RoomSale, type Whereabouts } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { BehaviorSubject, distinctUntilChanged, Observable, type Subscriber, type Subscription } from 'rxjs';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';
import { REDIS } from '../app/redis.provider';
import { AddressCounts } from '../limits/address-counts';
import { redisAway, RetryLaterException } from '../orders/refusal';
import { SaleSnapshotService } from '../sale/sale-snapshot.service';
import { SaleRoster } from '../sales/sale-roster';
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

/** This process's side of one sale's line: who listens, what each was last sent, the passes signed. */
interface Line {
  readonly gears: SaleGears;
  readonly listeners: Map<string, Set<Subscriber<LineUpdate>>>;
  readonly lastSent: Map<string, { key: string; at: number }>;
  readonly passes: Map<string, { pass: string; until: number }>;
  readonly admittingNow: BehaviorSubject<boolean>;
  /** Order requests for the sale since the last watch: reported with it, for a room that turns itself on. */
  arrivals: number;
}

/**
 * This process's side of the sales' waiting rooms (docs/waiting-room.md). Each line lives in Redis (the gears'
 * popup_room_* functions), shared by every intake: this service joins customers to it, and every QUEUE_WATCH_MS
 * calls popup_room_watch once per sale and per 1,000 customers it streams to, which brings the room up to date,
 * keeps their places, and tells each where it stands. It also remembers whether each room is on, for the order
 * door (AdmissionGuard). Lines exist only for the sales the roster sells; the bounds on live lines are across them.
 */
@Injectable()
export class WaitingRoom implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WaitingRoom.name);
  private readonly lines = new Map<string, Line>();
  private readonly streams: AddressCounts;
  private timer: NodeJS.Timeout | undefined;
  private roster: Subscription | undefined;
  private watching = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    private readonly papers: AdmissionPasses,
    private readonly snapshot: SaleSnapshotService,
    private readonly sales: SaleRoster,
  ) {
    this.streams = new AddressCounts(config.MAX_QUEUE_STREAMS, config.MAX_EVENT_STREAMS_PER_ADDRESS);
  }

  async onModuleInit(): Promise<void> {
    this.roster = this.sales.changes().subscribe((sold) => this.follow(sold));
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.QUEUE_WATCH_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.roster?.unsubscribe();
    for (const saleId of [...this.lines.keys()]) this.close(saleId);
  }

  /** Whether orders for `sale` need a pass: its room is on and its line not closed (as of the last watch). */
  admitting(sale: SaleKeys): boolean {
    return this.lines.get(sale.saleId)?.admittingNow.value ?? false;
  }

  /**
   * An order request for `sale` reached its door: counted here and reported with the next watch, so a room left
   * off with `auto` set turns itself on once every intake's arrivals pass the admission rate (no Redis call here).
   */
  arrived(sale: SaleKeys): void {
    const line = this.lines.get(sale.saleId);
    if (line) line.arrivals++;
  }

  /** {@link admitting} now and at every change, for the sale's event stream. */
  admittingChanges(sale: SaleKeys): Observable<boolean> {
    return this.line(sale).admittingNow.pipe(distinctUntilChanged());
  }

  /** The customer joins the sale's line, or hears again where it stands. */
  async join(sale: SaleKeys, customer: string): Promise<LineUpdate> {
    const line = this.line(sale);
    const answer = await line.gears.joinRoom(this.saleAsRead(sale), customer);
    return this.update(line, customer, answer.whereabouts, answer.rate);
  }

  /**
   * The customer's live updates, one at subscription and then on every change (or heartbeat). Listening keeps the
   * place; a customer who stops loses it after the room's timeout. Bounded as the sale's event streams are: at
   * most MAX_QUEUE_STREAMS per process (503) and MAX_EVENT_STREAMS_PER_ADDRESS per client address (429).
   */
  updates(sale: SaleKeys, customer: string, address: string): Observable<LineUpdate> {
    const line = this.line(sale);
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
      const subscribers = line.listeners.get(customer) ?? new Set();
      subscribers.add(subscriber);
      line.listeners.set(customer, subscribers);
      line.lastSent.delete(customer);
      return () => {
        taken();
        subscribers.delete(subscriber);
        if (subscribers.size === 0) {
          line.listeners.delete(customer);
          line.lastSent.delete(customer);
          line.passes.delete(customer);
        }
      };
    });
  }

  /** Keeps a line for each sale sold, and none for another. */
  private follow(sold: ReadonlyMap<string, SaleKeys>): void {
    for (const saleId of [...this.lines.keys()]) if (!sold.has(saleId)) this.close(saleId);
    for (const sale of sold.values()) this.line(sale);
  }

  private line(sale: SaleKeys): Line {
    let line = this.lines.get(sale.saleId);
    if (!line) {
      line = {
        gears: new SaleGears(this.redis, sale),
        listeners: new Map(),
        lastSent: new Map(),
        passes: new Map(),
        admittingNow: new BehaviorSubject(false),
        arrivals: 0,
      };
      this.lines.set(sale.saleId, line);
    }
    return line;
  }

  private close(saleId: string): void {
    const line = this.lines.get(saleId);
    if (!line) return;
    this.lines.delete(saleId);
    line.admittingNow.complete();
    for (const subscribers of line.listeners.values()) for (const subscriber of subscribers) subscriber.complete();
  }

  private async tick(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    try {
      await Promise.all([...this.lines.values()].map((line) => this.watch(line)));
    } finally {
      this.watching = false;
    }
  }

  private async watch(line: Line): Promise<void> {
    const sale = line.gears.sale;
    // No sale read yet (starting, or Redis away): nothing to bring up to date with.
    if (!this.snapshot.current(sale)) return;
    // Reported once, with the first call; given back if that call fails, for the next watch to report.
    let arrivals = line.arrivals;
    line.arrivals = 0;
    try {
      const customers = [...line.listeners.keys()];
      let first = true;
      for (let i = 0; first || i < customers.length; i += MAX_WATCHED) {
        first = false;
        const chunk = customers.slice(i, i + MAX_WATCHED);
        const watch = await line.gears.watchRoom(this.saleAsRead(sale), chunk, arrivals);
        arrivals = 0;
        line.admittingNow.next(watch.on && !watch.closed);
        await Promise.all(
          chunk.map(async (customer, k) =>
            this.send(line, customer, await this.update(line, customer, watch.customers[k] as Whereabouts, watch.rate)),
          ),
        );
      }
    } catch (error) {
      line.arrivals += arrivals;
      this.logger.warn(
        `sale ${sale.saleId}: cannot watch the waiting room: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  /** The sale as this process last read it (every STATUS_REFRESH_MS), with its backlog: the room functions take it as arguments. */
  private saleAsRead(sale: SaleKeys): RoomSale {
    const snapshot = this.snapshot.current(sale);
    if (!snapshot) throw redisAway();
    return { ...snapshot.status, backlog: snapshot.backlog };
  }

  private send(line: Line, customer: string, update: LineUpdate): void {
    const key = `${update.where}:${update.ahead ?? ''}:${update.pass ?? ''}`;
    const last = line.lastSent.get(customer);
    const now = Date.now();
    if (last && last.key === key && now - last.at < HEARTBEAT_MS) return;
    line.lastSent.set(customer, { key, at: now });
    for (const subscriber of line.listeners.get(customer) ?? []) subscriber.next(update);
  }

  private async update(line: Line, customer: string, whereabouts: Whereabouts, rate: number): Promise<LineUpdate> {
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
        let issued = line.passes.get(customer);
        if (issued?.until !== whereabouts.until) {
          issued = {
            pass: await this.papers.issuePass(line.gears.sale, customer, whereabouts.until),
            until: whereabouts.until,
          };
          if (line.listeners.has(customer)) line.passes.set(customer, issued);
        }
        return { where: 'admitted', admitPerSecond, pass: issued.pass, passExpiresAt: issued.until };
      }
      default:
        return { where: whereabouts.where, admitPerSecond };
    }
  }
}
