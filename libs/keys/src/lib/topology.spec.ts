import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsumerGroup, saleKeys } from './sale-keys';
import { consumerGroups, producerOf, readsOf, SERVICES, TOPOLOGY, topologyMarkdown } from './topology';

const sale = saleKeys('spring');

describe('the stream topology', () => {
  it('gives every consuming service the streams it reads, with their contracts and groups', () => {
    expect(readsOf(sale, 'order-generation')).toEqual({
      group: 'order-generation',
      groups: { '{sale:spring}:customers': 'order-generation' },
      streams: { '{sale:spring}:customers': expect.objectContaining({ name: 'customer' }) },
    });
    expect(readsOf(sale, 'fulfilment-auditing').groups).toEqual({
      '{sale:spring}:orders': 'fulfilment',
      '{sale:spring}:completed': 'auditing',
    });
    expect(Object.keys(readsOf(sale, 'metrics-export').streams)).toEqual([
      '{sale:spring}:completed',
      '{sale:spring}:rejected',
    ]);
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
    expect(() => readsOf(sale, 'customer-intake')).toThrow(/customer-intake reads no stream of the topology/);
  });

  it('is the table of docs/keys.md', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/keys.md'), 'utf8');
    const table = /<!-- topology:start[^\n]*-->\n+([\s\S]*?)\n+<!-- topology:end -->/.exec(doc)?.[1];
    // On a mismatch, the expected value is the table to paste into docs/keys.md.
    expect(table).toBe(topologyMarkdown());
  });
});
