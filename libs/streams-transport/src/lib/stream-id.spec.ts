import fc from 'fast-check';
import { compareStreamIds, nextStreamId } from './stream-id';

const id = fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 48n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const text = ([ms, seq]: [bigint, bigint]) => `${ms}-${seq}`;

describe('stream ids', () => {
  it('compare as (ms, seq) pairs, not as strings', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    fc.assert(
      fc.property(id, id, (a, b) => {
        const expected = a[0] !== b[0] ? Math.sign(Number(a[0] - b[0])) : Math.sign(Number(a[1] - b[1]));
        expect(compareStreamIds(text(a), text(b))).toBe(expected);
      }),
    );
  });

  it('have a successor that is the next id up', () => {
    expect(nextStreamId('5-18446744073709551615')).toBe('6-0');
    fc.assert(
      fc.property(id, (a) => {
        expect(compareStreamIds(nextStreamId(text(a)), text(a))).toBe(1);
      }),
    );
  });

  it('refuse what is not an id', () => {
    expect(() => compareStreamIds('1-0', '$')).toThrow('not a stream id');
  });
});
