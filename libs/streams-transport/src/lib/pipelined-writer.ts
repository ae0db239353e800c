import { execWithReplicaAcks, type PipelineReplies, type ReplicaAcks } from '@popup-store/redis-connection';
import type { RedisClient } from './connection';
import type { FlatFields } from './codec';

interface Write {
  readonly entries: readonly FlatFields[];
  resolve(ids: string[]): void;
  reject(error: unknown): void;
}

/**
 * Gathers the XADDs issued during one turn of the event loop and sends each stream's as one pipeline: a handler
 * that emits per message, run for a whole batch at once, costs one round trip instead of one per message.
 * One pipeline per stream, because a cluster pipeline must stay within one slot. With `acks`, the writes count once
 * that many replicas hold them (`execWithReplicaAcks`).
 */
export class PipelinedWriter {
  private queued = new Map<string, Write[]>();
  private scheduled = false;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly acks: ReplicaAcks = { replicas: 0, timeoutMs: 0 },
  ) {}

  /** Appends the entries to the stream in order; resolves with their ids. Not atomic: a failure may leave some written. */
  add(stream: string, entries: readonly FlatFields[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const writes = this.queued.get(stream);
      if (writes) writes.push({ entries, resolve, reject });
      else this.queued.set(stream, [{ entries, resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is queued now and waits for every write to be answered. */
  async drain(): Promise<void> {
    this.flush();
    while (this.sending.size > 0) await Promise.all(this.sending);
  }

  private flush(): void {
    this.scheduled = false;
    const queued = this.queued;
    this.queued = new Map();
    for (const [stream, writes] of queued) {
      const sent = this.send(stream, writes).finally(() => this.sending.delete(sent));
      this.sending.add(sent);
    }
  }

  private async send(stream: string, writes: Write[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const write of writes) for (const fields of write.entries) pipeline.xadd(stream, '*', ...fields);
    let replies: PipelineReplies;
    try {
      replies = await execWithReplicaAcks(pipeline, this.acks, stream);
    } catch (error) {
      for (const write of writes) write.reject(error);
      return;
    }
    let next = 0;
    for (const write of writes) {
      const mine = replies.slice(next, (next += write.entries.length));
      const failure = mine.find(([error]) => error)?.[0];
      if (failure) write.reject(failure);
      else write.resolve(mine.map(([, id]) => id as string));
    }
  }
}
