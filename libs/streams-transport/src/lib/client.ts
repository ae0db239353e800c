import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { context, isSpanContextValid, trace, type Span } from '@opentelemetry/api';
import type { Contract } from '@popup-store/contracts';
import { injectTraceContext } from '@popup-store/telemetry';
import { EventEmitter } from 'node:events';
import { openConnection, type OpenedConnection, type RedisClient } from './connection';
import type { RedisStreamsEvents } from './events';
import { clientSettings, type ClientSettings, type RedisStreamsClientOptions } from './options';
import { PipelinedWriter } from './pipelined-writer';
import { RedisStreamsStatus, reportStatus } from './status';
import { recordFailure, setMessageId, startSendSpan } from './tracing';
import { addTraceContext, encodeEntry, type FlatFields } from './codec';

interface Connected {
  readonly connection: OpenedConnection;
  readonly writer: PipelinedWriter;
}

/**
 * Nest client for Redis Streams: `client.emit('<stream key>', payload)` validates the payload against the stream's
 * contract and appends it with XADD; the emits of one event-loop turn share a pipeline.
 */
export class RedisStreamsClient extends ClientProxy<RedisStreamsEvents, RedisStreamsStatus> {
  private readonly settings: ClientSettings;
  private readonly events = new EventEmitter();
  private readonly log = new Logger(RedisStreamsClient.name);
  private connected: Connected | undefined;

  constructor(options: RedisStreamsClientOptions) {
    super();
    this.settings = clientSettings(options);
  }

  /** Opens the connection once; later calls return the same client. Writes queue while Redis is unreachable. */
  async connect(): Promise<RedisClient> {
    return this.ensureOpen().connection.redis;
  }

  /** Sends what is queued and closes the connection if the client opened it. */
  async close(): Promise<void> {
    const connected = this.connected;
    if (!connected) return;
    this.connected = undefined;
    await connected.writer.drain();
    if (connected.connection.owned)
      await connected.connection.redis.quit().catch(() => connected.connection.redis.disconnect());
    this._status$.next(RedisStreamsStatus.DISCONNECTED);
  }

  /**
   * Appends the payloads to the stream, in order, in one pipeline; resolves with their entry ids. Every payload is
   * validated first: if one breaks the contract, none is written. `trusted`: the caller built the payloads from
   * values it had validated already, so they are only serialised and size-checked (see EncodeOptions).
   */
  async emitBatch(
    stream: string,
    payloads: readonly unknown[],
    options: { trusted?: boolean } = {},
  ): Promise<string[]> {
    return this.write(stream, payloads, options.trusted ?? false);
  }

  /**
   * Appends the payload's entry through `send` instead of the client's XADD: the same codec and contract, and the
   * same PRODUCER span with its trace context in the entry, for a write a Redis function makes after a check of its
   * own (customer-intake's `popup_take_order`, which writes nothing for a customer holding a unit). `send` gets the
   * encoded fields and answers the entry's id, or null when it wrote nothing. `trusted` as for emitBatch.
   */
  async emitThrough(
    stream: string,
    payload: unknown,
    send: (fields: FlatFields) => Promise<string | null>,
    options: { trusted?: boolean } = {},
  ): Promise<string | null> {
    const fields = encodeEntry(this.contractOf(stream), payload, {
      stream,
      maxDataBytes: this.settings.maxDataBytes,
      trusted: options.trusted ?? false,
    });
    const span = this.traced(stream, fields);
    try {
      const id = await send(fields);
      if (id !== null) setMessageId(span, id);
      return id;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  override on<K extends keyof RedisStreamsEvents>(event: K, listener: RedisStreamsEvents[K]): void {
    this.events.on(event, listener);
  }

  /** The connection (after connect()). */
  unwrap<T = RedisClient>(): T {
    if (!this.connected) throw new Error('RedisStreamsClient is not connected');
    return this.connected.connection.redis as T;
  }

  protected async dispatchEvent<T = string>(packet: ReadPacket): Promise<T> {
    const [id] = await this.write(packet.pattern, [packet.data]);
    return id as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new Error('Redis Streams carry events only: use emit(), not send()'), isDisposed: true });
    return () => undefined;
  }

  private async write(stream: unknown, payloads: readonly unknown[], trusted = false): Promise<string[]> {
    if (typeof stream !== 'string') throw new Error('the pattern of a Redis Streams event is a stream key (a string)');
    const contract = this.contractOf(stream);
    const { maxDataBytes } = this.settings;
    const entries = payloads.map((payload) => encodeEntry(contract, payload, { stream, maxDataBytes, trusted }));
    const { writer } = this.ensureOpen();
    const spans = entries.map((fields) => this.traced(stream, fields));
    try {
      const ids = await writer.add(stream, entries);
      spans.forEach((span, index) => setMessageId(span, ids[index]));
      return ids;
    } catch (error) {
      for (const span of spans) recordFailure(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  }

  /** Starts the entry's PRODUCER span and puts its trace context into the entry. */
  private traced(stream: string, fields: FlatFields): Span {
    const span = startSendSpan(stream);
    // Without a valid span (no SDK, no incoming trace) there is nothing to propagate.
    if (isSpanContextValid(span.spanContext())) {
      addTraceContext(fields, injectTraceContext(trace.setSpan(context.active(), span)));
    }
    return span;
  }

  private contractOf(stream: string): Contract {
    const { streams } = this.settings;
    const contract = typeof streams === 'function' ? streams(stream) : streams[stream];
    if (!contract) throw new Error(`no contract for stream "${stream}": add it to the client's streams option`);
    return contract;
  }

  private ensureOpen(): Connected {
    return (this.connected ??= this.open());
  }

  private open(): Connected {
    const connection = openConnection(this.settings.connection, this.log);
    const { redis } = connection;
    reportStatus(redis, this._status$);
    redis.on('error', (error: Error) => {
      if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
    });
    return { connection, writer: new PipelinedWriter(redis, this.settings.replicaAcks) };
  }
}
