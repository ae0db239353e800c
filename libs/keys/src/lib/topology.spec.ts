import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsumerGroup, saleKeys } from './sale-keys';
import { consumerGroups, consumerOf, producerOf, SERVICES, TOPOLOGY, topologyMarkdown } from './topology';

const sale = saleKeys('spring');

describe('the stream topology', () => {
  it('gives every consumer group the streams it reads, with their contracts', () => {
    expect(consumerOf(sale, ConsumerGroup.orderGeneration)).toEqual({
      group: 'order-generation',
      streams: { '{sale:spring}:customers': expect.objectContaining({ name: 'customer' }) },
    });
    expect(Object.keys(consumerOf(sale, ConsumerGroup.auditing).streams)).toEqual(['{sale:spring}:completed']);
    expect(Object.keys(consumerOf(sale, ConsumerGroup.metrics).streams)).toEqual([
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

  it('refuses a group that reads nothing', () => {
    expect(() => consumerOf(sale, 'nobody' as never)).toThrow(/no stream of the topology is read by group nobody/);
  });

  it('is the table of docs/keys.md', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/keys.md'), 'utf8');
    const table = /<!-- topology:start[^\n]*-->\n+([\s\S]*?)\n+<!-- topology:end -->/.exec(doc)?.[1];
    // On a mismatch, the expected value is the table to paste into docs/keys.md.
    expect(table).toBe(topologyMarkdown());
  });
});
