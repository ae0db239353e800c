import { HttpStatus } from '@nestjs/common';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { compile } from '@fastify/proxy-addr';
import underPressure from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { IntakeConfig } from '../app/intake-config';
import { refusalBody } from '../orders/refusal';
import { AddressCounts } from './address-counts';

/** Route config of `/health/*`: never shed nor counted, so probes answer while every bound bites. */
export const UNBOUNDED = { bounds: 'none' } as const;
/** Route config of the event stream: shed like any request, but held open, so counted by its own bounds. */
export const HELD_OPEN = { bounds: 'stream' } as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    bounds?: 'none' | 'stream';
  }
}

/** The shortest interval @fastify/under-pressure averages the event-loop delay over. */
const MIN_SAMPLE_MS = 250;
/** How long a refused connection may stay to read its 503 before it is closed. */
const REFUSED_CONNECTION_MS = 1000;
/** Connections past MAX_CONNECTIONS that still get their 503 with a reason; beyond, Node drops them unanswered. */
const REFUSAL_ROOM = 1000;

export type AdmissionSettings = Pick<
  IntakeConfig,
  | 'MAX_CONNECTIONS'
  | 'MAX_CONNECTIONS_PER_ADDRESS'
  | 'MAX_EVENT_LOOP_DELAY_MS'
  | 'MAX_IN_FLIGHT'
  | 'TRUSTED_PROXIES'
>;

/** Why a request is not taken, answered before any work. */
export interface Shed {
  readonly status: HttpStatus.SERVICE_UNAVAILABLE;
  readonly reason: 'overloaded' | 'too_many_connections' | 'too_many_connections_from_address';
  readonly message: string;
  /** Close the connection after the answer (it is one too many). */
  readonly close: boolean;
}

/**
 * The bounds of intake's API port, checked before a request costs anything: connections in total and per peer
 * address (counted as they open; one over the bound gets its 503 on its first request, then is closed), and
 * shedding while the event loop lags or too many requests are in progress. Requests already past this point are
 * never dropped: shedding only refuses new ones.
 */
export function boundAdmission(adapter: FastifyAdapter, settings: AdmissionSettings): void {
  const instance = adapter.getInstance();
  const refusedConnections = countConnections(instance.server, settings);
  // The mean delay over twice the bound, at least: a loop blocked for a whole interval has no sample at all
  // (under-pressure's Infinity), and that is a lag of the interval at least, so past the bound.
  const sampleInterval = Math.max(MIN_SAMPLE_MS, 2 * settings.MAX_EVENT_LOOP_DELAY_MS);
  // Measures only (no threshold given, so it installs no hook of its own): the decision is `shedding` below.
  void instance.register(underPressure, { sampleInterval });
  let inFlight = 0;
  const settled = () => void inFlight--;

  /** The one decision whether a request is taken now; the place where a waiting room would send it in line. */
  const shedding = (request: FastifyRequest): Shed | undefined => {
    const connection = refusedConnections.get(request.raw.socket);
    if (connection) return connection;
    const bounds = request.routeOptions.config.bounds;
    if (bounds === 'none') return undefined;
    const lag = Math.min(sampleInterval, instance.memoryUsage?.().eventLoopDelay ?? 0);
    if (lag > settings.MAX_EVENT_LOOP_DELAY_MS) return overloaded(`the event loop lags ${Math.round(lag)} ms`);
    if (bounds !== 'stream' && inFlight >= settings.MAX_IN_FLIGHT) {
      return overloaded(`${inFlight} requests are in progress`);
    }
    return undefined;
  };

  instance.addHook('onRequest', (request, reply, done) => {
    const shed = shedding(request);
    if (shed) return answer(reply, shed);
    if (request.routeOptions.config.bounds === undefined) {
      inFlight++;
      reply.raw.once('close', settled);
    }
    done();
  });
}

function answer(reply: FastifyReply, shed: Shed): void {
  if (shed.close) void reply.header('connection', 'close');
  void reply
    .status(shed.status)
    .header('retry-after', '1')
    .send(refusalBody(shed.status, shed.reason, shed.message));
}

const overloaded = (why: string): Shed => ({
  status: HttpStatus.SERVICE_UNAVAILABLE,
  reason: 'overloaded',
  message: `the store is over capacity (${why}); retry shortly`,
  close: false,
});

/**
 * Counts the port's connections as they open: one past a bound is marked with its refusal, answered on its first
 * request and closed within a second. Past the bound and its room for refusals, Node drops new ones at once.
 */
function countConnections(server: Server, settings: AdmissionSettings): WeakMap<Socket, Shed> {
  const refused = new WeakMap<Socket, Shed>();
  const connections = new AddressCounts(settings.MAX_CONNECTIONS, settings.MAX_CONNECTIONS_PER_ADDRESS);
  // A trusted proxy's connections carry many clients: counted in the total, not per address.
  const proxy = settings.TRUSTED_PROXIES?.length ? compile(settings.TRUSTED_PROXIES) : () => false;
  server.maxConnections = settings.MAX_CONNECTIONS + REFUSAL_ROOM;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const taken = connections.take(address, !proxy(address, 0));
    if (typeof taken === 'function') {
      socket.once('close', taken);
      return;
    }
    refused.set(socket, {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      reason: taken === 'total' ? 'too_many_connections' : 'too_many_connections_from_address',
      message:
        taken === 'total'
          ? `the store holds ${settings.MAX_CONNECTIONS} connections; retry shortly`
          : `this address holds ${settings.MAX_CONNECTIONS_PER_ADDRESS} connections; reuse one`,
      close: true,
    });
    socket.setTimeout(REFUSED_CONNECTION_MS, () => socket.destroy());
  });
  return refused;
}
