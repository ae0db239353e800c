import { BoundedThrottlerStorage } from './bounded-throttler-storage';

describe('BoundedThrottlerStorage', () => {
  it('counts hits per key in a fixed window: blocked past the limit until the window ends, then counted anew', () => {
    const storage = new BoundedThrottlerStorage(10);
    const hits = [0, 100, 200].map((at) => storage.hit('orders:a', 1000, 2, at));
    expect(hits.map((hit) => hit.isBlocked)).toEqual([false, false, true]);
    expect(hits[2]).toMatchObject({ totalHits: 3, timeToExpire: 1, timeToBlockExpire: 1 });
    expect(storage.hit('orders:b', 1000, 2, 300).isBlocked).toBe(false);
    expect(storage.hit('orders:a', 1000, 2, 1000)).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('holds at most its capacity of keys, whatever ids arrive; the oldest window goes first', () => {
    const storage = new BoundedThrottlerStorage(100);
    for (let i = 0; i < 10_000; i++) storage.hit(`orders:fresh-${i}`, 1000, 5, i / 10);
    expect(storage.size).toBe(100);
    expect(storage.hit('orders:fresh-9999', 1000, 1, 1000).isBlocked).toBe(true);
    expect(storage.hit('orders:fresh-0', 1000, 1, 1000).isBlocked).toBe(false);
  });
});
