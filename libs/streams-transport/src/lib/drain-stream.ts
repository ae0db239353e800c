import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import type { Contract, ContractPayload } from '@popup-store/contracts';
import type { FlatFields } from './codec';
import { DEFAULT_MAX_DATA_BYTES } from './codec';
import type { RedisClient } from './connection';
import { ensureGroup } from './consumer-group';
import type { RedisStreamsBatchContext, StreamMessage } from './context';
import type { Acknowledger } from './decorators';
import { EntryProcessor } from './entry-processor';
import { StreamCommands } from './stream-commands';

export interface DrainOptions<C extends Contract> {
  readonly redis: RedisClient;
  readonly stream: string;
  readonly contract: C;
  readonly group: string;
  readonly consumer?: string;
  readonly batchSize?: number;
  readonly acknowledgedBy?: Acknowledger;
}

/** What one drain did. */
export interface Drained {
  readonly handled: number;
  readonly deadLettered: number;
}

/**
 * Runs a batch handler over what the stream holds for the group now, read after read without blocking, through
 * the server's own entry processing (decode, contract, dead letters, acks) and then resolves: for specs and tools
 * that play a consumer a step at a time. Not a consumer: no blocking read, no reclaiming, no shutdown.
 */
export async function drainStream<C extends Contract>(
  options: DrainOptions<C>,
  handle: (messages: ReadonlyArray<StreamMessage<ContractPayload<C>>>) => Promise<unknown>,
): Promise<Drained> {
  const {
    redis,
    stream,
    contract,
    group,
    consumer = 'drain',
    batchSize = 1000,
    acknowledgedBy = 'transport',
  } = options;
  await ensureGroup(redis, stream, group, '0');
  let handled = 0;
  let deadLettered = 0;
  const handler = Object.assign(
    async (_data: unknown, context: RedisStreamsBatchContext) => {
      const messages = context.getMessages() as ReadonlyArray<StreamMessage<ContractPayload<C>>>;
      await handle(messages);
      handled += messages.length;
    },
    { isEventHandler: true },
  ) as unknown as MessageHandler;
  const processor = new EntryProcessor(
    redis,
    new StreamCommands(redis),
    { stream, source: '', contract, handler, batch: true, acknowledgedBy },
    {
      group,
      consumer,
      maxDeliveries: 5,
      maxDataBytes: DEFAULT_MAX_DATA_BYTES,
      minIdleMs: 0,
      deadLetterStream: `${stream}:dead-letter`,
    },
    new Logger('drainStream'),
    () => deadLettered++,
  );
  for (;;) {
    const reply = (await redis.xreadgroup(
      'GROUP',
      group,
      consumer,
      'COUNT',
      batchSize,
      'STREAMS',
      stream,
      '>',
    )) as Array<[string, Array<[string, FlatFields]>]> | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) return { handled, deadLettered };
    await processor.process(entries);
  }
}
