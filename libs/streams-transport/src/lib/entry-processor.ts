import type { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { deadLetterContract, type Contract, type DeadLetter } from '@popup-store/contracts';
import type { TraceCarrier } from '@popup-store/telemetry';
import { isObservable, lastValueFrom } from 'rxjs';
import type { RedisClient } from './connection';
import { RedisStreamsBatchContext, RedisStreamsContext, type StreamMessage } from './context';
import { deadLetterFor } from './dead-letter';
import { describeError } from './describe-error';
import { inSpan, startBatchProcessSpan, startProcessSpan } from './tracing';
import { decodeEntry, encodeEntry, type DecodedPayload, type RawEntry } from './codec';
import type { Acknowledger } from './decorators';
import type { StreamCommands } from './stream-commands';

/** A stream, its contract and the handler Nest registered for it. */
export interface Route {
  /** The stream's key. */
  readonly stream: string;
  /** What the stream is read for (a sale id), handed to the handler in its context. */
  readonly source: string;
  readonly contract: Contract;
  readonly handler: MessageHandler;
  /** The handler takes every entry of a read at once (`@BatchEventPattern`). */
  readonly batch: boolean;
  /** Who acks what the handler succeeded on; `handler` makes the stream a work queue (see BatchPatternOptions). */
  readonly acknowledgedBy: Acknowledger;
}

export interface ProcessorSettings {
  readonly group: string;
  readonly consumer: string;
  readonly maxDeliveries: number;
  readonly maxDataBytes: number;
  readonly minIdleMs: number;
  readonly deadLetterStream: string;
}

/** What becomes of the entries of one read once their handlers are done. */
interface Outcome {
  readonly acked: string[];
  readonly dead: DeadLetter[];
  readonly carriers: Map<string, TraceCarrier>;
}

/**
 * Handles the entries of one stream: decodes and validates them, runs the handler inside a consumer span, then
 * acks what succeeded and dead-letters what is malformed or failed its last allowed delivery. An entry whose
 * handler failed earlier than that stays pending, for the reclaimer to deliver again.
 */
export class EntryProcessor {
  private readonly inFlight = new Set<string>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly commands: StreamCommands,
    private readonly route: Route,
    private readonly settings: ProcessorSettings,
    private readonly logger: Logger,
    private readonly onDeadLetter: (letter: DeadLetter) => void,
  ) {}

  /** Whether this process is handling the entry right now. */
  has(id: string): boolean {
    return this.inFlight.has(id);
  }

  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Handles entries read or claimed together; `deliveries` by id (1 when absent). An entry without fields was
   * deleted while pending (only a re-read of pending entries returns one): it is settled, there is nothing to do.
   * Never rejects.
   */
  process(entries: readonly RawEntry[], deliveries?: ReadonlyMap<string, number>): Promise<void> {
    for (const [id] of entries) this.inFlight.add(id);
    const run = this.run(entries, deliveries)
      .catch((error) => this.logger.error(`${this.route.stream}: ${describeError(error)}`))
      .finally(() => {
        for (const [id] of entries) this.inFlight.delete(id);
        this.running.delete(run);
      });
    this.running.add(run);
    return run;
  }

  /** Resolves once every entry handed to `process` so far is settled. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private async run(entries: readonly RawEntry[], deliveries?: ReadonlyMap<string, number>) {
    const { contract, batch } = this.route;
    const { maxDeliveries, maxDataBytes } = this.settings;
    const outcome: Outcome = { acked: [], dead: [], carriers: new Map() };
    const messages: StreamMessage[] = [];
    for (const [id, flat] of entries) {
      if (flat === null) {
        outcome.acked.push(id);
        continue;
      }
      const deliveryCount = deliveries?.get(id) ?? 1;
      const decoded = decodeEntry(contract, flat, maxDataBytes);
      if (!decoded.ok) {
        this.bury(outcome, id, decoded.fields, decoded.carrier, decoded.error, deliveryCount);
      } else if (deliveryCount > maxDeliveries) {
        // Its last allowed delivery never settled: the consumer died while handling it, or could not ack.
        const error = `none of ${maxDeliveries} deliveries settled (consumer died or could not ack)`;
        this.bury(outcome, id, decoded.fields, decoded.carrier, error, deliveryCount);
      } else {
        messages.push(new DeliveredMessage(id, deliveryCount, decoded));
      }
    }
    if (messages.length > 0) {
      if (batch) await this.handleBatch(messages, outcome);
      else await Promise.all(messages.map((message) => this.handleOne(message, outcome)));
    }
    await this.settle(outcome);
  }

  private async handleOne(message: StreamMessage, outcome: Outcome): Promise<void> {
    const { stream, source, handler } = this.route;
    try {
      const ctx = startProcessSpan(stream, this.settings.group, message.id, message.carrier);
      await inSpan(ctx, () => call(handler, message.data, new RedisStreamsContext([stream, message, source])));
      outcome.acked.push(message.id);
    } catch (error) {
      this.failed([message], error, outcome);
    }
  }

  private async handleBatch(messages: StreamMessage[], outcome: Outcome): Promise<void> {
    const { stream, source, handler } = this.route;
    try {
      const ctx = startBatchProcessSpan(
        stream,
        this.settings.group,
        messages.map((message) => message.carrier),
      );
      const data = messages.map((message) => message.data);
      await inSpan(ctx, () => call(handler, data, new RedisStreamsBatchContext([stream, messages, source])));
      if (this.route.acknowledgedBy === 'transport') for (const message of messages) outcome.acked.push(message.id);
    } catch (error) {
      this.failed(messages, error, outcome);
    }
  }

  private failed(messages: StreamMessage[], error: unknown, outcome: Outcome): void {
    const { maxDeliveries, minIdleMs } = this.settings;
    const reason = describeError(error);
    const retried = messages.filter((message) => message.deliveryCount < maxDeliveries);
    for (const message of messages) {
      if (message.deliveryCount >= maxDeliveries) {
        this.bury(outcome, message.id, message.fields, message.carrier, reason, message.deliveryCount);
      }
    }
    if (retried.length > 0) {
      const ids = retried.length === 1 ? `entry ${retried[0].id}` : `${retried.length} entries from ${retried[0].id}`;
      this.logger.warn(
        `${this.route.stream}: handler failed on ${ids} (${reason}); delivered again after ${minIdleMs} ms`,
      );
    }
  }

  private bury(
    outcome: Outcome,
    id: string,
    fields: Record<string, string>,
    carrier: TraceCarrier,
    error: string,
    deliveries: number,
  ): void {
    const { group, consumer } = this.settings;
    outcome.dead.push(deadLetterFor({ stream: this.route.stream, id, group, consumer }, fields, error, deliveries));
    outcome.carriers.set(id, carrier);
  }

  /**
   * Dead letters are written first and their entries acked after, with the successes: a crash in between
   * writes a dead letter twice, never loses one.
   */
  private async settle({ acked, dead, carriers }: Outcome): Promise<void> {
    const { stream } = this.route;
    const { group, deadLetterStream } = this.settings;
    try {
      if (dead.length > 0) {
        const pipeline = this.redis.pipeline();
        for (const letter of dead) {
          // No size limit: the letter is already cut to its contract's bounds.
          const fields = encodeEntry(deadLetterContract, letter, {
            stream: deadLetterStream,
            maxDataBytes: Infinity,
            carrier: carriers.get(letter.id),
          });
          pipeline.xadd(deadLetterStream, '*', ...fields);
        }
        const replies = (await pipeline.exec()) ?? [];
        dead.forEach((letter, index) => {
          const failure = replies[index]?.[0];
          if (failure) {
            this.logger.error(`${stream}: could not dead-letter ${letter.id} (${failure.message}); it stays pending`);
            return;
          }
          acked.push(letter.id);
          this.logger.warn(
            `${stream}: ${letter.id} dead-lettered to ${deadLetterStream} after ${letter.deliveries} deliveries: ${letter.error}`,
          );
          this.onDeadLetter(letter);
        });
      }
      if (acked.length === 0) return;
      if (this.route.acknowledgedBy === 'handler') await this.commands.ackAndDelete(stream, group, acked);
      else await this.redis.xack(stream, group, ...acked);
    } catch (error) {
      this.logger.error(
        `${stream}: could not ack ${acked.length} entries (${describeError(error)}); they will be delivered again`,
      );
    }
  }
}

/** An entry as its handler gets it: its fields are made only if someone asks for them (see DecodedEntry). */
class DeliveredMessage implements StreamMessage {
  constructor(
    readonly id: string,
    readonly deliveryCount: number,
    private readonly decoded: DecodedPayload,
  ) {}

  get data(): unknown {
    return this.decoded.data;
  }

  get fields(): Readonly<Record<string, string>> {
    return this.decoded.fields;
  }

  get carrier(): TraceCarrier {
    return this.decoded.carrier;
  }
}

/** Calls a Nest handler and waits for it to finish, whether it returns a value, a promise or an observable. */
async function call(handler: MessageHandler, data: unknown, context: unknown): Promise<void> {
  const result = await handler(data, context);
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}
