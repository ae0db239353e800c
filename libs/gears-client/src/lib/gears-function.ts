import type { SaleKeys } from '@popup-store/keys';
import type { Cluster, Redis } from 'ioredis';
import { GearsError, GearsErrorCode, toGearsError } from './gears-error';
import type { GearsLibrary } from './library';
import { loadGears } from './load-gears';

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

export interface CallOptions {
  /**
   * When Redis answers that the library is not loaded (a Redis restarted without it, a new master, a FUNCTION
   * DELETE), load this library and call once more. Only for connections whose Redis user may FUNCTION LOAD.
   */
  readonly reload?: GearsLibrary;
  /** Told each time the library was loaded again. */
  readonly onReload?: (fn: string) => void;
}

/** Calls one popup function for one sale; library errors come back as {@link GearsError}. */
export async function callGears<Input, Output>(
  redis: RedisConnection,
  fn: GearsFunction<Input, Output>,
  sale: SaleKeys,
  input: Input,
  options: CallOptions = {},
): Promise<Output> {
  try {
    return await callOnce(redis, fn, sale, input);
  } catch (error) {
    if (!options.reload || !(error instanceof GearsError && error.code === GearsErrorCode.LibraryNotLoaded))
      throw error;
    // "Function not found": nothing ran, so calling again cannot do anything twice.
    await loadGears(redis as Redis, options.reload);
    options.onReload?.(fn.name);
    return callOnce(redis, fn, sale, input);
  }
}

/** The FCALL (FCALL_RO when read-only) of one popup function for one sale, as `call` takes it (client or pipeline). */
export function gearsCommand<Input>(
  fn: GearsFunction<Input, unknown>,
  sale: SaleKeys,
  input: Input,
): [command: string, ...args: Array<string | number>] {
  const keys = fn.keys(sale);
  return [fn.readOnly ? 'FCALL_RO' : 'FCALL', fn.name, keys.length, ...keys, ...fn.args(input)];
}

async function callOnce<Input, Output>(
  redis: RedisConnection,
  fn: GearsFunction<Input, Output>,
  sale: SaleKeys,
  input: Input,
): Promise<Output> {
  let reply: unknown;
  try {
    reply = await redis.call(...gearsCommand(fn, sale, input));
  } catch (error) {
    throw toGearsError(error, fn.name);
  }
  return fn.parse(reply, input);
}
