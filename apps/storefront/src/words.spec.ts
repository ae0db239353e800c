import { count, duration, outcomeHeadline, retryWords } from './words';

describe('words', () => {
  it('writes numbers with thousands separators', () => {
    expect(count(4213)).toBe('4,213');
    expect(count(7)).toBe('7');
  });

  it('says a wait to the second, rounded up, in at most two units', () => {
    expect(duration(0)).toBe('0 seconds');
    expect(duration(1)).toBe('1 second');
    expect(duration(999)).toBe('1 second');
    expect(duration(42_000)).toBe('42 seconds');
    expect(duration(125_000)).toBe('2 minutes 5 seconds');
    expect(duration(120_000)).toBe('2 minutes');
    expect(duration(3_600_000 + 12 * 60_000 + 30_000)).toBe('1 hour 12 minutes');
    expect(duration(3 * 86_400_000 + 60_000)).toBe('3 days');
    expect(duration(-5)).toBe('0 seconds');
  });

  it('says how an order ended as the issue words it', () => {
    expect(outcomeHeadline({ kind: 'unit', unit: 4213 })).toBe('Unit 4,213 is yours');
    expect(outcomeHeadline({ kind: 'sold_out' })).toBe('Sold out');
    expect(outcomeHeadline({ kind: 'duplicate' })).toBe('You already have one');
    expect(outcomeHeadline({ kind: 'closed' })).toBe('The sale is closed');
  });

  it('counts a retry down in words', () => {
    expect(retryWords(2_500)).toBe('Trying again in 3 seconds');
    expect(retryWords(0)).toBe('Trying again now');
  });
});
