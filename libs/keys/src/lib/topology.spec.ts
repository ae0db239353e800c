import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsumerGroup, saleKeys } from './sale-keys';
import {
  consumerGroups,
  groupsOf,
  producerContracts,
  producerOf,
  readsOf,
  saleStreams,
  streamOfKey,
  SERVICES,
  TOPOLOGY,
  topologyMarkdown,
} from './topology';

const sale = saleKeys('spring');

describe('the stream topology', () => {
  it('gives every consuming service the streams it reads, with their contracts and groups', () => {
    expect(readsOf('order-generation')).toEqual({
      group: 'order-generation',
      groups: { customers: 'order-generation' },
      streams: { customers: expect.objectContaining({ name: 'customer' }) },
    });
    expect(readsOf('fulfilment-auditing').groups).toEqual({ orders: 'fulfilment', completed: 'auditing' });
    expect(Object.keys(readsOf('metrics-export').streams)).toEqual(['completed', 'rejected']);
  });

  it('gives the keys a service reads in one sale, and the group of each', () => {
    expect(saleStreams(sale, 'fulfilment-auditing')).toEqual({
      orders: '{sale:spring}:orders',
      completed: '{sale:spring}:completed',
    });
    expect(groupsOf(sale, 'metrics-export')).toEqual([
      { stream: '{sale:spring}:completed', group: 'metrics' },
      { stream: '{sale:spring}:rejected', group: 'metrics' },
    ]);
  });

  it("gives a writer to any sale the contract of each stream it appends to, by key, and refuses others' streams", () => {
    const contractOf = producerContracts('order-generation');
    expect(contractOf('{sale:spring}:orders')?.name).toBe('order');
    expect(contractOf('{sale:autumn-2}:orders')?.name).toBe('order');
    expect(contractOf('{sale:spring}:customers')).toBeUndefined();
    expect(contractOf('orders')).toBeUndefined();
    expect(producerContracts('fulfilment-auditing')('{sale:spring}:alerts')?.name).toBe('alert');
    expect(streamOfKey('{sale:autumn-2}:orders')).toEqual({ saleId: 'autumn-2', stream: 'orders' });
    expect(streamOfKey('{sale:spring}:state')).toBeUndefined();
  });

  it('gives every writer only what it appends itself: the gears write the decisions', () => {
    expect(Object.keys(producerOf(sale, 'order-generation'))).toEqual(['{sale:spring}:orders']);
    expect(Object.keys(producerOf(sale, 'fulfilment-auditing'))).toEqual(['{sale:spring}:alerts']);
    expect(producerOf(sale, 'metrics-export')).toEqual({});
  });

  it('names every consumer group once per stream, read by a service of the store', () => {
    const pairs = consumerGroups(sale).map(({ stream, group }) => `${group} on ${stream}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(new Set(consumerGroups(sale).map(({ group }) => group))).toEqual(new Set(Object.values(ConsumerGroup)));
    for (const route of TOPOLOGY) {
      expect(SERVICES).toContain(route.writer);
      for (const reader of route.readers) expect(SERVICES).toContain(reader.service);
    }
  });

  it('refuses a service that reads nothing', () => {
    expect(() => readsOf('customer-intake')).toThrow(/customer-intake reads no stream of the topology/);
  });

  it('is the table of docs/keys.md', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/keys.md'), 'utf8');
    const table = /<!-- topology:start[^\n]*-->\n+([\s\S]*?)\n+<!-- topology:end -->/.exec(doc)?.[1];
    // On a mismatch, the expected value is the table to paste into docs/keys.md.
    expect(table).toBe(topologyMarkdown());
  });
});
