import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { FulfilmentTrigger, loadGears, type TriggerRound } from '@popup-store/gears-client';
import { ConsumerGroup, type SaleKeys } from '@popup-store/keys';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { AUDITING_CONFIG, SALE_KEYS, type AuditingConfig } from '../app/auditing-config';
import { traceDecisions } from './decision-spans';

const BACKOFF_MAX_MS = 2000;

/**
 * The completion trigger: loops that read the orders stream and decide each batch with one FCALL inside Redis.
 * Decisions are exactly-once whatever happens here (the gears ack with the decision and ignore replays), so a
 * loop only has to keep going: on any error it logs once, backs off and reads again.
 */
@Injectable()
export class CompletionLanesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CompletionLanesService.name);
  private readonly stopping = new AbortController();
  private readonly connections: Redis[] = [];
  private lanes: Promise<void>[] = [];

  constructor(
    @Inject(AUDITING_CONFIG) private readonly config: AuditingConfig,
    @Inject(SALE_KEYS) private readonly sale: SaleKeys,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.connect();
    const loaded = await loadGears(admin);
    this.logger.log(`gears ${loaded.outcome} (version ${loaded.version})`);
    const lanes = Array.from({ length: this.config.COMPLETION_LANES }, (_, lane) => {
      const trigger = new FulfilmentTrigger({
        redis: this.connect(),
        sale: this.sale,
        consumer: `${this.config.CONSUMER_NAME}-${lane}`,
        count: this.config.COMPLETION_BATCH,
        blockMs: this.config.COMPLETION_BLOCK_MS,
      });
      return trigger;
    });
    await lanes[0]?.ensureGroup();
    this.lanes = [
      ...lanes.map((trigger, lane) => this.run(`lane ${lane}`, async () => this.traced(await trigger.poll()))),
      this.reclaim(lanes[0]),
    ];
  }

  /** Lets each lane finish the batch it holds (its FCALL settles it), then closes the connections. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.lanes);
    for (const connection of this.connections) connection.disconnect();
  }

  private async reclaim(trigger: FulfilmentTrigger | undefined): Promise<void> {
    if (!trigger) return;
    const every = Math.max(1000, Math.floor(this.config.RECLAIM_IDLE_MS / 2));
    await this.run('reclaim', async () => {
      await sleep(every, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (!this.stopping.signal.aborted) this.traced(await trigger.reclaimStale(this.config.RECLAIM_IDLE_MS));
    });
  }

  private traced(round: TriggerRound): void {
    traceDecisions(this.sale.orders, ConsumerGroup.fulfilment, round.decided);
  }

  private async run(name: string, step: () => Promise<unknown>): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        await step();
        if (failures > 0) this.logger.log(`${name}: deciding again after ${failures} failed attempts`);
        failures = 0;
      } catch (error) {
        if (failures === 0) this.logger.warn(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        failures++;
        await sleep(Math.min(BACKOFF_MAX_MS, 50 * 2 ** failures), undefined, { signal: this.stopping.signal }).catch(
          () => undefined,
        );
      }
    }
  }

  /** Blocking reads hold their connection, so each lane gets its own; no command may wait forever. */
  private connect(): Redis {
    const redis = new Redis(this.config.REDIS_URL, {
      maxRetriesPerRequest: 1,
      retryStrategy: (n) => Math.min(50 * 2 ** n, 2000),
    });
    redis.on('error', () => undefined);
    this.connections.push(redis);
    return redis;
  }
}
