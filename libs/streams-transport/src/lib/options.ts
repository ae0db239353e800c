import type { Contract } from '@popup-store/contracts';
import type { ReplicaAcks } from '@popup-store/redis-connection';
import { hostname } from 'node:os';
import { DEFAULT_MAX_DATA_BYTES } from './codec';
import type { RedisConnection } from './connection';

/** Which contract each stream carries, by stream key (or, for a server, by the stream name its handlers use). */
export type StreamContracts = Readonly<Record<string, Contract>>;

/** The key a server reads for each stream name its handlers use, for one source (one sale). */
export type SourceStreams = Readonly<Record<string, string>>;

export interface RedisStreamsServerOptions {
  /** A Redis URL, ioredis options, or a ready Redis/Cluster client (used, never closed, by the server). */
  connection: RedisConnection;
  /** The consumer group: one per consuming service, shared by all its processes. */
  group: string;
  /**
   * Streams this server reads in another group than `group`, by the stream name the handlers use: a service with
   * two jobs on two streams (fulfilment-auditing completes orders as `fulfilment` and audits completions as
   * `auditing`).
   */
  groups?: Readonly<Record<string, string>>;
  /** This process's name in the group. Default `${hostname()}-${process.pid}`. */
  consumer?: string;
  /** The contract of every stream a handler listens to, by the name in its pattern. */
  streams: StreamContracts;
  /**
   * What is read from `listen` on, by source (a sale id): for each stream name a handler uses, the key read for
   * that source. `serve` and `unserve` add and remove sources at runtime. Default `{ '': names }`: one source,
   * `''`, reading each handler's stream name as its key (a server of fixed streams).
   */
  sources?: Readonly<Record<string, SourceStreams>>;
  /** Most entries one XREADGROUP (or XAUTOCLAIM) asks for. Default 100. */
  batchSize?: number;
  /** How long a read waits for new entries before it asks again. Default 2000 ms. */
  blockMs?: number;
  /**
   * Most entries held at once (read, not yet settled) across the server's streams: a read asks for at most the
   * free slots (reads of several streams issued together may overshoot by a batch each). Default 1000.
   */
  maxInFlight?: number;
  /**
   * Reads of one stream being handled at once: a further read waits until one settles. Unbounded by default
   * (reading goes on while maxInFlight allows). A batch handler with a fixed cost per call (an FCALL per batch)
   * wants a small number: while it waits, entries pile up and the next read takes a fuller batch.
   */
  maxReadsInFlight?: number;
  /**
   * How often pending entries are looked at for reclaiming. Default half of minIdleMs, between 100 and 5000 ms, so
   * an entry is delivered again at most half its idle time late.
   */
  reclaimIntervalMs?: number;
  /**
   * How long an entry stays pending before another delivery is tried (its consumer died, or its handler failed).
   * Must exceed the longest handler run, or entries still being handled get a second delivery. Default 30000 ms.
   */
  minIdleMs?: number;
  /** Deliveries that fail before an entry goes to the dead-letter stream. Default 5. */
  maxDeliveries?: number;
  /** The dead-letter stream of a stream. Default `${stream}:dead-letter` (same hash tag, same cluster slot). */
  deadLetterStream?: (stream: string) => string;
  /** Largest `data` field accepted, in UTF-8 bytes; bigger entries are dead-lettered. Default 65536. */
  maxDataBytes?: number;
  /** Where a new group starts reading: `0` (the whole stream) or `$` (new entries only). Default `0`. */
  groupStartId?: string;
}

export interface RedisStreamsClientOptions {
  /** A Redis URL, ioredis options, or a ready Redis/Cluster client (used, never closed, by the client). */
  connection: RedisConnection;
  /**
   * The contract of every stream the client writes to, by key; or a function of the key, for streams whose keys
   * are known only as they are written (one per sale): undefined refuses the stream.
   */
  streams: StreamContracts | ((stream: string) => Contract | undefined);
  /** Largest `data` field written, in UTF-8 bytes. Default 65536. */
  maxDataBytes?: number;
  /**
   * Replicas that must hold a write before it counts as done: each pipeline of XADDs ends with `WAIT replicas
   * timeoutMs` on the same connection, and a write fewer replicas acknowledged in time fails (it is on the master,
   * and may be lost with it in a failover). Default 0: no WAIT, a write is done once the master has it.
   */
  replicaAcks?: ReplicaAcks;
}

export type ServerSettings = Required<Omit<RedisStreamsServerOptions, 'sources'>> &
  Pick<RedisStreamsServerOptions, 'sources'>;
export type ClientSettings = Required<RedisStreamsClientOptions>;

export function serverSettings(options: RedisStreamsServerOptions): ServerSettings {
  const given = withoutUndefined(options);
  const minIdleMs = given.minIdleMs ?? 30_000;
  const settings: ServerSettings = {
    consumer: `${hostname()}-${process.pid}`,
    batchSize: 100,
    blockMs: 2000,
    maxInFlight: 1000,
    maxReadsInFlight: Number.MAX_SAFE_INTEGER,
    reclaimIntervalMs: Math.min(5000, Math.max(100, Math.floor(minIdleMs / 2))),
    minIdleMs,
    maxDeliveries: 5,
    deadLetterStream: (stream) => `${stream}:dead-letter`,
    maxDataBytes: DEFAULT_MAX_DATA_BYTES,
    groupStartId: '0',
    groups: {},
    ...given,
  };
  const counts = [
    'batchSize',
    'maxInFlight',
    'maxReadsInFlight',
    'maxDeliveries',
    'maxDataBytes',
    'blockMs',
    // Before reclaimIntervalMs, whose default derives from it.
    'minIdleMs',
    'reclaimIntervalMs',
  ] as const;
  for (const name of counts) requirePositiveInteger(name, settings[name]);
  if (!settings.group) throw new Error('RedisStreamsServer: the group option is required');
  return settings;
}

export function clientSettings(options: RedisStreamsClientOptions): ClientSettings {
  const settings: ClientSettings = {
    maxDataBytes: DEFAULT_MAX_DATA_BYTES,
    replicaAcks: { replicas: 0, timeoutMs: 0 },
    ...withoutUndefined(options),
  };
  requirePositiveInteger('maxDataBytes', settings.maxDataBytes);
  const { replicas, timeoutMs } = settings.replicaAcks;
  if (replicas !== 0) requirePositiveInteger('replicaAcks.replicas', replicas);
  if (replicas !== 0) requirePositiveInteger('replicaAcks.timeoutMs', timeoutMs);
  return settings;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${value}`);
}

// An option given as undefined means "the default", not "undefined".
function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}
