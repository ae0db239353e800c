import { DEFAULT_SALE_ID, deadLetterStream, saleKeys } from './sale-keys';

describe('saleKeys', () => {
  it('puts every key of a sale under one hash tag', () => {
    const keys = saleKeys('spring');
    const { saleId, tag, room, ...redisKeys } = keys;
    expect(saleId).toBe('spring');
    expect(tag).toBe('{sale:spring}');
    const all = [...Object.values(redisKeys), ...Object.values(room)];
    expect(new Set(all).size).toBe(18);
    for (const key of all) expect(key).toMatch(/^\{sale:spring\}:[a-z]+(:[a-z]+)?$/);
    expect(keys.orders).toBe('{sale:spring}:orders');
  });

  it('names the default sale popup', () => {
    expect(saleKeys().tag).toBe(`{sale:${DEFAULT_SALE_ID}}`);
    expect(DEFAULT_SALE_ID).toBe('popup');
  });

  it('refuses an id that would break the hash tag', () => {
    for (const bad of ['', 'a}b', '{x}', 'with space', 'x'.repeat(65)]) expect(() => saleKeys(bad)).toThrow(RangeError);
  });

  it('keeps a dead-letter stream on its stream’s slot', () => {
    expect(deadLetterStream(saleKeys().orders)).toBe('{sale:popup}:orders:dead-letter');
  });
});
