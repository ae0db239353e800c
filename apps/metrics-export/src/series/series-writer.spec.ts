import { saleKeys } from '@popup-store/keys';
import { seriesKeys } from './series-keys';
import { tsAddArgs, xaddArgs } from './series-writer';

describe('series commands', () => {
  const keys = seriesKeys(saleKeys('popup'));

  it('names every series with the sale hash tag, after the original demo', () => {
    expect([
      keys.length('customers').key,
      keys.enqueue('orders:dead-letter').key,
      keys.stockLeft.key,
      keys.rate('completed').key,
      keys.rejections('sold_out').key,
      keys.latency('p99').key,
    ]).toEqual([
      '{sale:popup}:ts:len:customers',
      '{sale:popup}:ts:enqueue:orders:dead-letter',
      '{sale:popup}:ts:stock:left',
      '{sale:popup}:ts:rate:completed',
      '{sale:popup}:ts:rejections:sold_out',
      '{sale:popup}:ts:latency:p99',
    ]);
  });

  it('adds a RedisTimeSeries point that creates its series with retention and labels', () => {
    expect(tsAddArgs({ ...keys.length('customers'), value: 42 }, 3_600_000)).toEqual([
      'TS.ADD',
      '{sale:popup}:ts:len:customers',
      '*',
      '42',
      'RETENTION',
      '3600000',
      'ON_DUPLICATE',
      'LAST',
      'LABELS',
      'sale',
      'popup',
      'metric',
      'len',
      'stream',
      'customers',
    ]);
    expect(tsAddArgs({ ...keys.latency('p50'), value: 12.5 }, 1000)).toEqual([
      'TS.ADD',
      '{sale:popup}:ts:latency:p50',
      '*',
      '12.5',
      'RETENTION',
      '1000',
      'ON_DUPLICATE',
      'LAST',
      'LABELS',
      'sale',
      'popup',
      'metric',
      'latency',
      'quantile',
      'p50',
    ]);
  });

  it('falls back to a capped stream entry per point', () => {
    expect(xaddArgs({ ...keys.stockLeft, value: 7 }, 3600)).toEqual([
      'XADD',
      '{sale:popup}:ts:stock:left',
      'MAXLEN',
      '~',
      '3600',
      '*',
      'value',
      '7',
    ]);
  });
});
