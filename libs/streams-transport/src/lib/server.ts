import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { EventEmitter } from 'node:events';
import { openBlockingConnection, openConnection, type OpenedConnection, type RedisClient } from './connection';
import { ensureGroup } from './consumer-group';
import { ConsumerHealth, type Readiness } from './consumer-health';
import type { RedisStreamsEvents } from './events';
import { EntryProcessor, type Route } from './entry-processor';
import { InFlightBudget } from './in-flight-budget';
import { serverSettings, type RedisStreamsServerOptions, type ServerSettings, type SourceStreams } from './options';
import { Reclaimer } from './reclaimer';
import { RedisStreamsStatus, reportStatus } from './status';
import { StreamCommands } from './stream-commands';
import { StreamReader } from './stream-reader';
import { REDIS_STREAMS_TRANSPORT } from './transport-id';

interface StreamConsumer {
  readonly reader: StreamReader;
  readonly processor: EntryProcessor;
  readonly blocking: RedisClient;
  readonly reclaiming: Promise<void>;
}

/** A source being read: its keys, and a consumer per key that stops with its own signal. */
interface ServedSource {
  readonly streams: SourceStreams;
  readonly consumers: readonly StreamConsumer[];
  readonly stopping: AbortController;
}

/** A handler Nest registered, by the stream name in its pattern, before any key is bound to it. */
type HandlerRoute = Omit<Route, 'stream' | 'source'>;

/** What every source's consumers share once the server listens. */
interface Runtime {
  readonly redis: RedisClient;
  readonly commands: StreamCommands;
  readonly budget: InFlightBudget;
  readonly handlers: ReadonlyMap<string, HandlerRoute>;
}

/**
 * Nest transport server for Redis Streams: every `@EventPattern('<stream>')` handler consumes its stream in the
 * consumer group, at least once. A handler's stream is a name; each source (a sale) binds every name to a key, and
 * sources come and go at runtime (`serve`, `unserve`): each key read gets its reader with its own blocking
 * connection, its reclaimer and its entry processor, all under one in-flight budget. Without `sources`, the names
 * are the keys. Use with `NestFactory.createMicroservice(AppModule, { strategy })` or
 * `app.connectMicroservice({ strategy })`.
 */
export class RedisStreamsServer
  extends Server<RedisStreamsEvents, RedisStreamsStatus>
  implements CustomTransportStrategy
{
  private readonly settings: ServerSettings;
  private readonly events = new EventEmitter();
  private readonly stopping = new AbortController();
  private readonly log = new Logger(RedisStreamsServer.name);
  private connection: OpenedConnection | undefined;
  private runtime: Runtime | undefined;
  private readonly served = new Map<string, ServedSource>();
  /** The change of each source under way (serve, unserve): changes of one source run one after the other. */
  private readonly changes = new Map<string, Promise<void>>();
  private started: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private readonly health = new ConsumerHealth((stream, group) => this.emit('group-recreated', stream, group));

  constructor(options: RedisStreamsServerOptions) {
    super();
    this.settings = serverSettings(options);
    this.transportId = REDIS_STREAMS_TRANSPORT;
  }

  listen(callback: (error?: unknown) => void): void {
    this.started = this.start();
    this.started.then(
      () => callback(),
      (error: unknown) => {
        if (this.connection?.owned) this.connection.redis.disconnect();
        callback(error);
      },
    );
  }

  /** Stops reading, lets in-flight handlers finish and acks them, then closes the connections. */
  close(): Promise<void> {
    return (this.closed ??= this.shutdown());
  }

  on<K extends keyof RedisStreamsEvents>(event: K, listener: RedisStreamsEvents[K]): void {
    this.events.on(event, listener);
  }

  /** Whether every stream is being read: false before listen, while Redis is away or a group is being made again. */
  readiness(): Readiness {
    return this.health.readiness();
  }

  /** The command connection. */
  unwrap<T = RedisClient>(): T {
    if (!this.connection) throw new Error('RedisStreamsServer is not listening');
    return this.connection.redis as T;
  }

  /**
   * Reads `streams` (a key for every stream name a handler uses) for `source` from now on, or with these keys
   * instead of those it had; resolves once each key has its group and its reader. A key another source reads is
   * refused. Only while listening.
   */
  serve(source: string, streams: SourceStreams): Promise<void> {
    return this.change(source, async () => {
      const current = this.served.get(source);
      if (current && sameStreams(current.streams, streams)) return;
      if (current) await this.stopSource(source);
      await this.startSource(source, streams);
    });
  }

  /** Stops reading `source`: its reads end, its in-flight entries finish and are acked, its connections close. */
  unserve(source: string): Promise<void> {
    return this.change(source, () => this.stopSource(source));
  }

  /** The sources being read now, with their keys. */
  serving(): ReadonlyMap<string, SourceStreams> {
    return new Map([...this.served].map(([source, { streams }]) => [source, streams]));
  }

  private async start(): Promise<void> {
    const handlers = new Map(this.routes().map((route) => [route.name, route]));
    const connection = openConnection(this.settings.connection, this.log);
    this.connection = connection;
    const { redis } = connection;
    reportStatus(redis, this._status$);
    redis.on('error', (error: Error) => this.emit('error', error));
    const budget = new InFlightBudget(this.settings.maxInFlight);
    this.runtime = { redis, commands: new StreamCommands(redis), budget, handlers };
    const sources = this.settings.sources ?? {
      '': Object.fromEntries([...handlers.keys()].map((name) => [name, name])),
    };
    await Promise.all(Object.entries(sources).map(([source, streams]) => this.startSource(source, streams)));
    this.health.started();
  }

  private change(source: string, work: () => Promise<void>): Promise<void> {
    if (!this.started) return Promise.reject(new Error('RedisStreamsServer is not listening'));
    const previous = this.changes.get(source) ?? Promise.resolve();
    const next = previous.then(() => this.started).then(() => (this.stopping.signal.aborted ? undefined : work()));
    const settled: Promise<void> = next
      .catch(() => undefined)
      .finally(() => {
        if (this.changes.get(source) === settled) this.changes.delete(source);
      });
    this.changes.set(source, settled);
    return next;
  }

  /** Makes the groups of the source's keys, then a reader, a reclaimer and a processor per key. */
  private async startSource(source: string, streams: SourceStreams): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) throw new Error('RedisStreamsServer is not listening');
    const { redis, commands, budget, handlers } = runtime;
    const missing = [...handlers.keys()].filter((name) => !streams[name]);
    if (missing.length > 0) throw new Error(`source "${source}" gives no key for ${missing.join(', ')}`);
    for (const [other, served] of this.served) {
      const taken = Object.values(streams).filter((key) => Object.values(served.streams).includes(key));
      if (taken.length > 0) throw new Error(`source "${source}": ${taken.join(', ')} already read for "${other}"`);
    }
    const { groupStartId } = this.settings;
    const groupOf = (name: string) => this.settings.groups[name] ?? this.settings.group;
    await Promise.all(
      [...handlers.keys()].map((name) => ensureGroup(redis, streams[name], groupOf(name), groupStartId)),
    );
    const stopping = new AbortController();
    const consumers = [...handlers].map(([name, handler]) => {
      const stream = streams[name];
      const settings = {
        ...this.settings,
        group: groupOf(name),
        stream,
        deadLetterStream: this.settings.deadLetterStream(stream),
      };
      const route: Route = { ...handler, stream, source };
      const processor = new EntryProcessor(redis, commands, route, settings, this.log, (letter) =>
        this.emit('dead-letter', letter),
      );
      const blocking = openBlockingConnection(redis, settings.blockMs, this.log);
      const reader = new StreamReader(redis, blocking, processor, budget, settings, this.log, this.health);
      const reclaimer = new Reclaimer(redis, processor, budget, settings, this.log);
      reader.start(stopping.signal);
      return { reader, processor, blocking, reclaiming: reclaimer.run(stopping.signal) };
    });
    this.served.set(source, { streams, consumers, stopping });
    if (source !== '') this.log.log(`reading ${Object.values(streams).join(', ')} for ${source}`);
  }

  private async stopSource(source: string): Promise<void> {
    const served = this.served.get(source);
    if (!served) return;
    this.served.delete(source);
    const { consumers, stopping, streams } = served;
    stopping.abort();
    await Promise.all(consumers.map((consumer) => consumer.reader.stop()));
    await Promise.all(consumers.map((consumer) => consumer.reclaiming));
    await Promise.all(consumers.map((consumer) => consumer.processor.drain()));
    for (const consumer of consumers) consumer.blocking.disconnect();
    for (const stream of Object.values(streams)) this.health.forget(stream);
    if (source !== '') this.log.log(`stopped reading ${Object.values(streams).join(', ')} for ${source}`);
  }

  /** One route per stream handler; throws at boot for anything the transport cannot serve. */
  private routes(): Array<HandlerRoute & { readonly name: string }> {
    return [...this.messageHandlers].map(([name, handler]) => {
      if (!handler.isEventHandler) {
        throw new Error(`"${name}": Redis Streams carry events only; use @EventPattern, not @MessagePattern`);
      }
      const contract = this.settings.streams[name];
      if (!contract) throw new Error(`"${name}" has a handler but no contract: add it to the streams option`);
      const batch = handler.extras?.['batch'] === true;
      const acknowledgedBy = handler.extras?.['acknowledgedBy'] === 'handler' ? 'handler' : 'transport';
      return { name, contract, handler, batch, acknowledgedBy };
    });
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort();
    this.health.stopped();
    await this.started?.catch(() => undefined);
    // A change under way finishes first (one queued after the abort does nothing): then every source stops.
    await Promise.all(this.changes.values());
    await Promise.all([...this.served.keys()].map((source) => this.stopSource(source)));
    if (this.connection?.owned) await this.connection.redis.quit().catch(() => this.connection?.redis.disconnect());
    this._status$.next(RedisStreamsStatus.DISCONNECTED);
  }

  private emit<K extends keyof RedisStreamsEvents>(event: K, ...args: Parameters<RedisStreamsEvents[K]>): void {
    // An 'error' event nobody listens to would throw; connection errors are logged anyway.
    if (this.events.listenerCount(event) > 0) this.events.emit(event, ...args);
  }
}

function sameStreams(a: SourceStreams, b: SourceStreams): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => a[name] === b[name]);
}
