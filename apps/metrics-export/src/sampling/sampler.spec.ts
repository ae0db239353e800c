import { eventually } from '@popup-store/redis-harness';
import type { LoggerService } from '@nestjs/common';
import { createNoopMeter } from '@opentelemetry/api';
import { Test, type TestingModule } from '@nestjs/testing';
import { loadGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { METRICS_CONFIG, metricsConfig } from '../app/metrics-config';
import { RedisCloser, redisProvider } from '../app/redis.provider';
import { DecisionLatencies } from '../latency/decision-latencies';
import { METER } from '../otel/meter.provider';
import { seriesKeys } from '../series/series-keys';
import { SeriesWriter, detectBackend } from '../series/series-writer';
import { openSale } from '@popup-store/sale-fixture';
import { pointCount } from '../test/series-points';
import { Sampler } from './sampler';

/** Keeps what the service logs, to count how often an outage is reported. */
class LogCapture implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log = (message: string) => this.lines.push({ level: 'log', message });
  warn = (message: string) => this.lines.push({ level: 'warn', message });
  error = (message: string) => this.lines.push({ level: 'error', message });
  count = (level: string, text: string) =>
    this.lines.filter((l) => l.level === level && l.message.includes(text)).length;
}

describe('Sampler through Redis outages', () => {
  let redis: TestRedis;
  let client: Redis;
  let sale: SaleKeys;
  let moduleRef: TestingModule;
  const logs = new LogCapture();

  beforeAll(async () => {
    // Owned, and with an append-only file, so that a killed Redis comes back with the gears and the sale.
    redis = await startTestRedis({ appendfsync: 'always' });
    client = redis.client();
    await loadGears(client);
    sale = saleKeys(`${redis.namespace}-outage`);
    await openSale(client, sale, 5);
    const config = metricsConfig({ REDIS_URL: redis.url, SALE_ID: sale.saleId, METRICS_INTERVAL_MS: '50' });
    moduleRef = await Test.createTestingModule({
      providers: [
        { provide: METRICS_CONFIG, useValue: config },
        { provide: METER, useValue: createNoopMeter() },
        redisProvider,
        RedisCloser,
        DecisionLatencies,
        SeriesWriter,
        Sampler,
      ],
    }).compile();
    moduleRef.useLogger(logs);
    await moduleRef.init();
    await moduleRef.get(Sampler).serve(sale);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await redis?.dispose();
  });

  const stockPoints = async () => pointCount(client, seriesKeys(sale).stockLeft.key, await detectBackend(client));

  /** Waits for the sampler to report the outage, brings Redis back, and waits for new points. */
  async function survives(outage: () => Promise<void>, recovery: () => Promise<void>, nth: number): Promise<void> {
    await eventually(async () => (await stockPoints()) > 0, 'points before the outage');
    await outage();
    await eventually(() => logs.count('warn', 'cannot sample') === nth, 'the outage to be logged');
    await recovery();
    const before = await stockPoints();
    await eventually(async () => (await stockPoints()) > before + 2, 'points after the outage');
    expect(logs.count('log', 'sampling resumed')).toBe(nth);
  }

  it('keeps sampling after Redis hung (SIGSTOP) and came back, logging the outage once', async () => {
    await survives(
      () => redis.pause(),
      () => redis.resume(),
      1,
    );
    expect(logs.count('warn', 'cannot sample')).toBe(1);
  });

  it('keeps sampling after Redis was killed and restarted, logging the outage once', async () => {
    await survives(
      () => redis.kill(),
      () => redis.restart(),
      2,
    );
    expect(logs.count('warn', 'cannot sample')).toBe(2);
  });
});
