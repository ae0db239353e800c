import type { SaleKeys } from '@popup-store/keys';
import type { Cluster, Redis } from 'ioredis';
import { toGearsError } from './gears-error';

/** A Redis connection the wrappers can call through: a client or a cluster (a sale's keys share one slot). */
export type RedisConnection = Redis | Cluster;

/** A popup function as TypeScript sees it: its name, its keys and arguments, and the shape of its reply. */
export interface GearsFunction<Input, Output> {
  readonly name: `popup_${string}`;
  /** Called with FCALL_RO, so a replica may answer. */
  readonly readOnly: boolean;
  keys(sale: SaleKeys): string[];
  args(input: Input): string[];
  /** Turns the reply into the output; `input` is what the call was made with. */
  parse(reply: unknown, input: Input): Output;
}

/** Calls one popup function for one sale; library errors come back as {@link GearsError}. */
export async function callGears<Input, Output>(
  redis: RedisConnection,
  fn: GearsFunction<Input, Output>,
  sale: SaleKeys,
  input: Input,
): Promise<Output> {
  const keys = fn.keys(sale);
  let reply: unknown;
  try {
    reply = await redis.call(fn.readOnly ? 'FCALL_RO' : 'FCALL', fn.name, keys.length, ...keys, ...fn.args(input));
  } catch (error) {
    throw toGearsError(error, fn.name);
  }
  return fn.parse(reply, input);
}
