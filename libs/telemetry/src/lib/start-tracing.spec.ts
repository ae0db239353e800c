import { trace } from '@opentelemetry/api';
import { startTracing } from './start-tracing';

// A tripwire: these cases must decide before the SDK is ever loaded. The real start is the e2e spec's (src/test).
jest.mock('./node-sdk', () => {
  throw new Error('the SDK was loaded');
});

const service = { name: 'start-tracing.spec', version: '0.0.0' };

describe('startTracing', () => {
  const outside = { ...process.env };

  beforeEach(() => {
    for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) delete process.env[name];
  });
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in outside)) delete process.env[name];
    Object.assign(process.env, outside);
  });

  it('loads, registers and exports nothing without an OTLP endpoint', () => {
    const listeners = process.listenerCount('SIGTERM');
    process.env['OTEL_EXPORTER_OTLP_PROTOCOL'] = 'http/json';
    expect(startTracing(service)).toBe(false);
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = '';
    expect(startTracing(service)).toBe(false);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
    expect(trace.getTracer('spec').startSpan('nothing').isRecording()).toBe(false);
  });

  it('honours OTEL_SDK_DISABLED over an endpoint', () => {
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = 'http://127.0.0.1:4318/v1/traces';
    process.env['OTEL_SDK_DISABLED'] = 'true';
    expect(startTracing(service)).toBe(false);
  });

  it('fails at boot on a protocol it cannot export, naming the variable', () => {
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = 'http://127.0.0.1:4318';
    process.env['OTEL_EXPORTER_OTLP_PROTOCOL'] = 'grpc';
    expect(() => startTracing(service)).toThrow('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported');
    process.env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] = 'http/xml';
    expect(() => startTracing(service)).toThrow('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/xml is not supported');
  });
});
