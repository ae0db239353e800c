import { deadLetterContract, DEAD_LETTER_VALUE_MAX } from '@popup-store/contracts';
import { deadLetterFields, parseOrderEntry } from './order-entry';

const data = { orderId: 'o1', customerId: 'c1', submittedAt: 1, orderedAt: 2, customerEntryId: '5-0' };

describe('parseOrderEntry', () => {
  it('reads a v1 order with its trace context', () => {
    const fields = ['v', '1', 'data', JSON.stringify(data), 'traceparent', 'tp', 'tracestate', 'ts'];
    expect(parseOrderEntry('9-0', fields)).toEqual({
      ok: true,
      order: { entryId: '9-0', orderId: 'o1', customerId: 'c1', submittedAt: 1, customerEntryId: '5-0', traceparent: 'tp', tracestate: 'ts' },
    });
    expect(parseOrderEntry('9-0', ['v', '1', 'data', JSON.stringify(data)])).toMatchObject({
      ok: true,
      order: expect.not.objectContaining({ traceparent: expect.anything() }),
    });
  });

  it('refuses another version, bad JSON and a payload that breaks the order contract', () => {
    expect(parseOrderEntry('1-0', ['v', '2', 'data', JSON.stringify(data)])).toMatchObject({ ok: false, error: /v2/ });
    expect(parseOrderEntry('1-0', ['v', '1', 'data', '{'])).toMatchObject({ ok: false, error: 'data is not JSON' });
    const bad = parseOrderEntry('1-0', ['v', '1', 'data', JSON.stringify({ ...data, submittedAt: 1.5 })]);
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('submittedAt'), fields: { v: '1' } });
  });

  it('refuses an entry with a field written twice, without throwing', () => {
    const twice = ['v', '1', 'data', JSON.stringify(data), 'data', JSON.stringify({ ...data, orderId: 'o2' })];
    expect(parseOrderEntry('1-0', twice)).toMatchObject({ ok: false, error: 'field "data" appears more than once' });
    expect(parseOrderEntry('1-0', ['__proto__', 'x', '__proto__', 'y', 'v', '1'])).toMatchObject({
      ok: false,
      error: 'field "__proto__" appears more than once',
    });
  });
});

describe('deadLetterFields', () => {
  it('writes a v1 dead letter within the contract’s bounds', () => {
    const source = { stream: 's', id: '1-0', group: 'g', consumer: 'c', deliveries: 1 };
    const fields = deadLetterFields(source, { error: 'boom', fields: { v: '1', data: 'x'.repeat(DEAD_LETTER_VALUE_MAX + 1) } });
    expect(fields.slice(0, 3)).toEqual(['v', '1', 'data']);
    const letter = deadLetterContract.schema.parse(JSON.parse(fields[3] as string));
    expect(letter).toMatchObject({ ...source, error: 'boom', truncated: true });
    expect(letter.fields['data']).toHaveLength(DEAD_LETTER_VALUE_MAX);
  });
});
