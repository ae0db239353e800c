import type { ChainableCommander } from 'ioredis';

/** Replicas that must hold a write before it counts as done, and how long to wait for them. */
export interface ReplicaAcks {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** A pipeline's replies: `[error, result]` for each of its commands, in order. */
export type PipelineReplies = Array<[error: Error | null, result: unknown]>;

export interface ReplicaAcksOptions {
  /**
   * Whether the replies show that something was written. When nothing was (a function that chose not to write, a
   * command that failed), replicas have nothing to hold, and the replies come back whatever the WAIT said.
   * Default: always written.
   */
  readonly wrote?: (replies: PipelineReplies) => boolean;
}

/**
 * Sends `pipeline` with `WAIT replicas timeoutMs` at its end and resolves with the replies of its own commands once
 * that many replicas hold its writes. WAIT names no key: in a cluster client's pipeline it goes to the node of the
 * pipeline's slot, the one that took the writes. Rejects, naming `key`, when the WAIT failed or fewer replicas had
 * the writes in time: they are on the master only, and a failover may lose them. With 0 replicas, no WAIT is sent.
 */
export async function execWithReplicaAcks(
  pipeline: ChainableCommander,
  acks: ReplicaAcks,
  key: string,
  options: ReplicaAcksOptions = {},
): Promise<PipelineReplies> {
  const { replicas, timeoutMs } = acks;
  if (replicas > 0) pipeline.call('WAIT', replicas, timeoutMs);
  const replies = await pipeline.exec();
  // Only a MULTI that was discarded answers null; a pipeline answers every command, failed or not.
  if (!replies) throw new Error(`${key}: the pipeline got no replies`);
  if (replicas === 0) return replies;
  const [waitError, acknowledged] = replies.pop() ?? [new Error('WAIT got no reply'), 0];
  if (options.wrote && !options.wrote(replies)) return replies;
  if (waitError) throw waitError;
  if (Number(acknowledged) < replicas) {
    throw new Error(
      `${key}: written on the master, but ${acknowledged} of ${replicas} replicas had it after ${timeoutMs} ms`,
    );
  }
  return replies;
}
