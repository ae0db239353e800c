import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpShopper } from './http-shopper';
import { playCrowd } from './play-crowd';

describe('HttpShopper', () => {
  let server: Server;
  let url: string;
  const requests: { authorization?: string; forwardedFor?: string; body: string }[] = [];
  let refuseFirst = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk) => (raw += chunk));
      request.on('end', () => {
        requests.push({
          authorization: request.headers.authorization,
          forwardedFor: request.headers['x-forwarded-for'] as string | undefined,
          body: raw,
        });
        if (refuseFirst-- > 0) {
          response.writeHead(429, { 'retry-after': '0.01', 'content-type': 'application/json' });
          response.end(JSON.stringify({ message: 'busy' }));
          return;
        }
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ orderId: `o${requests.length}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('posts each customer with its token and address and no body, keeps the tickets, retrying after Retry-After when told to wait', async () => {
    refuseFirst = 2;
    requests.length = 0;
    const shopper = new HttpShopper({
      url,
      connections: 4,
      maxRetries: 3,
      authorization: (id) => `Bearer token-of-${id}`,
      forwardedFor: (id) => `10.0.0.${id.charCodeAt(0)}`,
    });
    const arrivals = [
      { at: 0, customerId: 'a' },
      { at: 1, customerId: 'b' },
      { at: 2, customerId: 'c' },
    ];
    const { tally } = await playCrowd(arrivals, (id, at, t) => shopper.order(id, at, t));
    await shopper.close();
    expect(tally.statuses).toEqual({ 202: 3 });
    expect(tally.retries).toBe(2);
    expect(tally.sent).toBe(5);
    expect(tally.accepted).toHaveLength(3);
    expect(requests).toContainEqual({ authorization: 'Bearer token-of-b', forwardedFor: '10.0.0.98', body: '' });
  });

  it('gives up after its retries and reports the last answer', async () => {
    refuseFirst = 10;
    const shopper = new HttpShopper({ url, connections: 1, maxRetries: 1, authorization: () => undefined });
    const { tally } = await playCrowd([{ at: 0, customerId: 'x' }], (id, at, t) => shopper.order(id, at, t));
    await shopper.close();
    expect(tally.statuses).toEqual({ 429: 1 });
    expect(tally.accepted).toHaveLength(0);
  });
});
