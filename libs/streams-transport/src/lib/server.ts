import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { EventEmitter } from 'node:events';
import { openBlockingConnection, openConnection, type OpenedConnection, type RedisClient } from './connection';
import { ensureGroup } from './consumer-group';
import { ConsumerHealth, type Readiness } from './consumer-health';
import type { RedisStreamsEvents } from './events';
import { EntryProcessor, type Route } from './entry-processor';
import { InFlightBudget } from './in-flight-budget';
import { serverSettings, type RedisStreamsServerOptions, type ServerSettings } from './options';
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

/**
 * Nest transport server for Redis Streams: every `@EventPattern('<stream key>')` handler consumes its stream in
 * the consumer group, at least once. Use with `NestFactory.createMicroservice(AppModule, { strategy })` or
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
  private consumers: StreamConsumer[] = [];
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

  private async start(): Promise<void> {
    const routes = this.routes();
    const connection = openConnection(this.settings.connection, this.log);
    this.connection = connection;
    const { redis } = connection;
    reportStatus(redis, this._status$);
    redis.on('error', (error: Error) => this.emit('error', error));
    const { groupStartId } = this.settings;
    const groupOf = (stream: string) => this.settings.groups[stream] ?? this.settings.group;
    await Promise.all(routes.map((route) => ensureGroup(redis, route.stream, groupOf(route.stream), groupStartId)));
    const budget = new InFlightBudget(this.settings.maxInFlight);
    const commands = new StreamCommands(redis);
    const signal = this.stopping.signal;
    for (const route of routes) {
      const settings = {
        ...this.settings,
        group: groupOf(route.stream),
        stream: route.stream,
        deadLetterStream: this.settings.deadLetterStream(route.stream),
      };
      const processor = new EntryProcessor(redis, commands, route, settings, this.log, (letter) =>
        this.emit('dead-letter', letter),
      );
      const blocking = openBlockingConnection(redis, settings.blockMs, this.log);
      const reader = new StreamReader(redis, blocking, processor, budget, settings, this.log, this.health);
      const reclaimer = new Reclaimer(redis, processor, budget, settings, this.log);
      reader.start(signal);
      this.consumers.push({ reader, processor, blocking, reclaiming: reclaimer.run(signal) });
    }
    this.health.started();
  }

  /** One route per stream handler; throws at boot for anything the transport cannot serve. */
  private routes(): Route[] {
    return [...this.messageHandlers].map(([stream, handler]) => {
      if (!handler.isEventHandler) {
        throw new Error(`"${stream}": Redis Streams carry events only; use @EventPattern, not @MessagePattern`);
      }
      const contract = this.settings.streams[stream];
      if (!contract) throw new Error(`"${stream}" has a handler but no contract: add it to the streams option`);
      const batch = handler.extras?.['batch'] === true;
      const acknowledgedBy = handler.extras?.['acknowledgedBy'] === 'handler' ? 'handler' : 'transport';
      return { stream, contract, handler, batch, acknowledgedBy };
    });
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort();
    this.health.stopped();
    await this.started?.catch(() => undefined);
    await Promise.all(this.consumers.map((consumer) => consumer.reader.stop()));
    await Promise.all(this.consumers.map((consumer) => consumer.reclaiming));
    await Promise.all(this.consumers.map((consumer) => consumer.processor.drain()));
    for (const consumer of this.consumers) consumer.blocking.disconnect();
    if (this.connection?.owned) await this.connection.redis.quit().catch(() => this.connection?.redis.disconnect());
    this._status$.next(RedisStreamsStatus.DISCONNECTED);
  }

  private emit<K extends keyof RedisStreamsEvents>(event: K, ...args: Parameters<RedisStreamsEvents[K]>): void {
    // An 'error' event nobody listens to would throw; connection errors are logged anyway.
    if (this.events.listenerCount(event) > 0) this.events.emit(event, ...args);
  }
}
