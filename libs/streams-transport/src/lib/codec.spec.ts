import { customerContract, orderContract } from '@popup-store/contracts';
import fc from 'fast-check';
import { ContractViolationError, decodeEntry, encodeEntry, entryFields } from './codec';

const stream = '{sale:popup}:customers';
const customer = { orderId: 't-1', customerId: 'alice', submittedAt: 1_760_000_000_000 };
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('wire format', () => {
  it('writes v, data and the trace context, and reads them back', () => {
    const fields = encodeEntry(customerContract, customer, {
      stream,
      maxDataBytes: 1024,
      carrier: { traceparent, tracestate: 'k=v' },
    });
    expect(fields).toEqual([
      'v',
      '1',
      'data',
      JSON.stringify(customer),
      'traceparent',
      traceparent,
      'tracestate',
      'k=v',
    ]);
    expect(decodeEntry(customerContract, fields, 1024)).toMatchObject({
      ok: true,
      data: customer,
      carrier: { traceparent, tracestate: 'k=v' },
    });
  });

  it('reads an entry as Lua writes it: v and data only, any field order, extra fields ignored', () => {
    const fields = ['data', JSON.stringify(customer), 'source', 'gears', 'v', '1'];
    expect(decodeEntry(customerContract, fields, 1024)).toMatchObject({ ok: true, data: customer, carrier: {} });
  });

  it('round-trips any payload the contract accepts', () => {
    const order = fc.record({
      orderId: fc.stringMatching(/^[\x21-\x7E]{1,64}$/),
      customerId: fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,64}$/),
      submittedAt: fc.nat(),
      orderedAt: fc.nat(),
      customerEntryId: fc.tuple(fc.nat(), fc.nat()).map(([ms, seq]) => `${ms}-${seq}`),
    });
    fc.assert(
      fc.property(order, (payload) => {
        const decoded = decodeEntry(
          orderContract,
          encodeEntry(orderContract, payload, { stream, maxDataBytes: 4096 }),
          4096,
        );
        expect(decoded).toMatchObject({ ok: true, data: payload });
      }),
    );
  });

  it('refuses to write a payload that breaks the contract, naming the field', () => {
    const write = () =>
      encodeEntry(customerContract, { ...customer, customerId: 'no spaces' }, { stream, maxDataBytes: 1024 });
    expect(write).toThrow(ContractViolationError);
    expect(write).toThrow(/customer v1: customerId: letters, digits/);
    expect(() =>
      encodeEntry(customerContract, { ...customer, extra: true } as never, { stream, maxDataBytes: 1024 }),
    ).toThrow(/extra/);
    expect(() => encodeEntry(customerContract, customer, { stream, maxDataBytes: 10 })).toThrow(
      /over the 10-byte limit/,
    );
  });

  it('writes a trusted payload without parsing it again, still within the size limit', () => {
    const parse = jest.spyOn(customerContract.schema, 'safeParse');
    const fields = encodeEntry(customerContract, customer, { trusted: true, maxDataBytes: 1024 });
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    expect(fields).toEqual(entryFields(customerContract, JSON.stringify(customer)));
    expect(() => encodeEntry(customerContract, customer, { trusted: true, maxDataBytes: 10 })).toThrow(/10-byte/);
  });

  it.each([
    ['no v', ['data', '{}'], /missing field "v"/],
    ['no data', ['v', '1'], /missing field "data"/],
    ['no fields at all', [], /missing field "v"/],
    ['a duplicate field', ['v', '1', 'v', '1', 'data', '{}'], /"v" appears more than once/],
    ['an unknown version', ['v', '2', 'data', JSON.stringify(customer)], /unsupported version "2"/],
    ['a version that is not a number', ['v', 'one', 'data', JSON.stringify(customer)], /unsupported version/],
    ['data that is not JSON', ['v', '1', 'data', '{oops'], /data is not JSON/],
    ['wrong types', ['v', '1', 'data', JSON.stringify({ ...customer, submittedAt: 'now' })], /submittedAt/],
    [
      'a huge value',
      ['v', '1', 'data', JSON.stringify({ ...customer, orderId: 'x'.repeat(5000) })],
      /over the 1024-byte limit/,
    ],
    ['multi-byte characters over the limit', ['v', '1', 'data', `"${'é'.repeat(600)}"`], /over the 1024-byte limit/],
  ])('turns an entry with %s into an error, not an exception', (_, fields, error) => {
    const decoded = decodeEntry(customerContract, fields as string[], 1024);
    expect(decoded.ok).toBe(false);
    expect(decoded.ok ? '' : decoded.error).toMatch(error);
  });

  it('keeps a field named __proto__ as a field', () => {
    const decoded = decodeEntry(customerContract, ['__proto__', 'x', 'v', '1', 'data', JSON.stringify(customer)], 1024);
    expect(decoded.fields['__proto__']).toBe('x');
  });

  it('finds a duplicate among many fields, and gives every field by name, the first value of a repeated one', () => {
    const many = Array.from({ length: 20 }, (_, i) => [`f${i}`, String(i)]).flat();
    const decoded = decodeEntry(
      customerContract,
      ['v', '1', 'data', JSON.stringify(customer), ...many, 'f7', 'again'],
      1024,
    );
    expect(decoded).toMatchObject({ ok: false, error: 'field "f7" appears more than once' });
    expect(decoded.fields).toMatchObject({ v: '1', f0: '0', f7: '7', f19: '19' });
    expect(Object.keys(decoded.fields)).toHaveLength(22);
  });

  it('ignores trace fields too long to be trace context', () => {
    const fields = ['v', '1', 'data', JSON.stringify(customer), 'traceparent', 'x'.repeat(10_000)];
    expect(decodeEntry(customerContract, fields, 1024)).toMatchObject({ ok: true, carrier: {} });
  });
});
