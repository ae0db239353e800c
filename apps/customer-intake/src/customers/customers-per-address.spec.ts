import { CustomersPerAddress } from './customers-per-address';

describe('CustomersPerAddress', () => {
  it('allows `limit` distinct customers per address and window, the same ones again, then the next window', () => {
    const limiter = new CustomersPerAddress(2, 60_000, 100);
    expect(limiter.check('a', 'x', 0)).toEqual({ allowed: true });
    expect(limiter.check('a', 'y', 1)).toEqual({ allowed: true });
    expect(limiter.check('a', 'z', 2)).toEqual({ allowed: false, retryAfterMs: 59_998 });
    expect(limiter.check('a', 'x', 3)).toEqual({ allowed: true });
    expect(limiter.check('b', 'z', 4)).toEqual({ allowed: true });
    expect(limiter.check('a', 'z', 60_000)).toEqual({ allowed: true });
  });

  it('stays bounded whatever ids a client invents, and however many addresses it sprays', () => {
    const limiter = new CustomersPerAddress(30, 60_000, 1000);
    for (let i = 0; i < 100_000; i++) limiter.check('203.0.113.7', `invented-${i}`, i / 100);
    expect(limiter.size).toEqual({ addresses: 1, customers: 30 });
    for (let i = 0; i < 100_000; i++) limiter.check(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `c${i}`, 1000);
    expect(limiter.size.addresses).toBe(1000);
    expect(limiter.size.customers).toBeLessThanOrEqual(1000 * 30);
  });
});
