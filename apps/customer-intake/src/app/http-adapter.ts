import { HttpStatus } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { boundAdmission, type AdmissionSettings } from '../limits/admission';
import { refusal, refusalBody } from '../orders/refusal';
import type { IntakeConfig } from './intake-config';

/** Charsets a JSON body may declare: JSON is UTF-8 (RFC 8259 §8.1), and ASCII is a subset of it. */
const UTF8 = new Set(['utf-8', 'utf8', 'us-ascii']);
/** 431 Request Header Fields Too Large (RFC 6585), which Nest's HttpStatus lacks. */
const HEADERS_TOO_LARGE = 431 as HttpStatus;

/**
 * intake's Fastify, shared by main.ts and the specs so they test the server that runs. Whatever Fastify answers
 * on its own, before Nest sees the request (a malformed URL, oversized headers, a broken request line), has
 * the refusal body with its `reason` too, like every refusal of the API.
 */
export function intakeHttpAdapter(
  config: AdmissionSettings &
    Pick<
      IntakeConfig,
      'BODY_LIMIT_BYTES' | 'TRUSTED_PROXIES' | 'REQUEST_TIMEOUT_MS' | 'HEADERS_TIMEOUT_MS' | 'IDLE_TIMEOUT_MS'
    >,
): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A request must arrive whole (headers, then body) within these, or Node answers 408 (answerClientError) and
    // closes it: a client trickling a byte every few seconds holds nothing for long. Node checks them every
    // connectionsCheckingInterval (30 s by default), so that is brought near the shortest of them.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.IDLE_TIMEOUT_MS,
    http: {
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, config.HEADERS_TIMEOUT_MS),
    },
    // request.ip is X-Forwarded-For's client only when the peer is a trusted proxy; else the socket's address.
    trustProxy: config.TRUSTED_PROXIES?.length ? config.TRUSTED_PROXIES : false,
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const [status, message] =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? [HttpStatus.URI_TOO_LONG, 'a path segment is too long']
          : [HttpStatus.BAD_REQUEST, 'not a valid URL'];
      void reply.status(status).send(refusalBody(status, 'invalid', message, { field: 'url' }));
    },
    clientErrorHandler: answerClientError,
  });
  boundAdmission(adapter, config);
  // Refused before the body is read: a decoder would be guessing, and an order body is far too small to compress.
  adapter.getInstance().addHook('preParsing', async (request: FastifyRequest) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      throw refusal(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'unsupported_encoding',
        'send the body without Content-Encoding',
      );
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
      throw refusal(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_charset', 'send the body as UTF-8');
    }
  });
  return adapter;
}

/** Node's HTTP parser gave up on a request (headers too large, a broken request line, a timeout). */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [HEADERS_TOO_LARGE, 'headers_too_large', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [HttpStatus.REQUEST_TIMEOUT, 'timeout', 'the request took too long to arrive']
        : [HttpStatus.BAD_REQUEST, 'invalid', 'not a valid HTTP request'];
  if (socket.writable) {
    const refused = refusalBody(status, reason, message);
    const body = JSON.stringify(refused);
    socket.write(
      `HTTP/1.1 ${status} ${refused.error}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
