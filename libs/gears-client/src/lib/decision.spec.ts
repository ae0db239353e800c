import { parseDecision } from './decision';

describe('parseDecision', () => {
  it('reads both outcomes as the library stores them', () => {
    expect(parseDecision('completed:12:1700000000000')).toEqual({ outcome: 'completed', unit: 12, at: 1700000000000 });
    expect(parseDecision('rejected:sold_out:5')).toEqual({ outcome: 'rejected', reason: 'sold_out', at: 5 });
  });

  it('refuses anything else', () => {
    for (const text of ['', 'completed:x:1', 'rejected:late:1', 'completed:1', 'completed:1:2:3']) {
      expect(() => parseDecision(text)).toThrow(/not a popup decision/);
    }
  });
});
