import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpShopper } from './http-shopper';
import { playCrowd } from './play-crowd';

describe('HttpShopper', () => {
  let server: Server;
  let url: string;
  const requests: { path?: string; authorization?: string; forwardedFor?: string; body: string }[] = [];
  let refuseFirst = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk) => (raw += chunk));
      request.on('end', () => {
        requests.push({
          path: request.url,
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

  it('posts each customer to its sale with its token and address and no body, keeps the tickets, retrying after Retry-After when told to wait', async () => {
    refuseFirst = 2;
    requests.length = 0;
    const shopper = new HttpShopper({
      url,
      sale: 'popup',
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
    // Each request's own answer time, the two refused ones too.
    expect(tally.responses().count).toBe(5);
    expect(tally.accepted).toHaveLength(3);
    expect(requests).toContainEqual({
      path: '/api/sales/popup/orders',
      authorization: 'Bearer token-of-b',
      forwardedFor: '10.0.0.98',
      body: '',
    });
  });

  it('gives up after its retries and reports the last answer', async () => {
    refuseFirst = 10;
    const shopper = new HttpShopper({
      url,
      sale: 'popup',
      connections: 1,
      maxRetries: 1,
      authorization: () => undefined,
    });
    const { tally } = await playCrowd([{ at: 0, customerId: 'x' }], (id, at, t) => shopper.order(id, at, t));
    await shopper.close();
    expect(tally.statuses).toEqual({ 429: 1 });
    expect(tally.accepted).toHaveLength(0);
  });

  it.each([
    ['with --waiting-room: joins first', true, []],
    [
      'without: a 403 not_admitted (a room turned on by itself) sends it to the line',
      false,
      ['POST /api/sales/spring/orders'],
    ],
  ])('queues %s, asks again until admitted, orders with the pass', async (_, waitingRoom, before) => {
    // A line of its own: two answers "waiting", then the admission; an order needs the pass.
    const asked: string[] = [];
    const line = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        asked.push(`${request.method} ${request.url} ${request.headers['admission-pass'] ?? ''}`.trim());
        response.setHeader('content-type', 'application/json');
        if (request.url === '/api/sales/spring/queue') {
          const turn = asked.filter((a) => a === 'POST /api/sales/spring/queue').length;
          response.end(
            JSON.stringify(
              turn < 3
                ? { where: 'waiting', ahead: 3 - turn, estimatedWaitMs: 10 }
                : { where: 'admitted', pass: 'pass-1' },
            ),
          );
        } else if (request.headers['admission-pass'] === 'pass-1') {
          response.writeHead(202).end(JSON.stringify({ orderId: 'o1' }));
        } else {
          response.writeHead(403).end(JSON.stringify({ reason: 'not_admitted' }));
        }
      });
    });
    await new Promise<void>((resolve) => line.listen(0, '127.0.0.1', resolve));
    const shopper = new HttpShopper({
      url: `http://127.0.0.1:${(line.address() as AddressInfo).port}`,
      connections: 1,
      maxRetries: 3,
      sale: 'spring',
      authorization: () => 'Bearer t',
      waitingRoom,
    });
    const { tally } = await playCrowd([{ at: 0, customerId: 'q' }], (id, at, t) => shopper.order(id, at, t));
    await shopper.close();
    await new Promise((resolve) => line.close(resolve));
    expect(asked).toEqual([
      ...before,
      'POST /api/sales/spring/queue',
      'POST /api/sales/spring/queue',
      'POST /api/sales/spring/queue',
      'POST /api/sales/spring/orders pass-1',
    ]);
    expect(tally.statuses).toEqual({ 202: 1 });
    expect(tally.line()).toMatchObject({ admitted: 1 });
    expect(tally.responses().count).toBe(asked.length);
  });
});
