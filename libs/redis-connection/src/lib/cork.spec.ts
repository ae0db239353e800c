import { RedisServerProcess } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import { corkUntilNextTurn } from './cork';
import { connectServer } from './redis-connection';

describe('corkUntilNextTurn', () => {
  let server: RedisServerProcess;
  let redis: Redis;

  beforeAll(async () => {
    server = await RedisServerProcess.start();
    redis = connectServer(server.url);
    await redis.ping();
  });
  afterAll(async () => {
    await redis?.quit().catch(() => redis.disconnect());
    await server?.dispose();
  });

  /** How many times the socket writes (`_write` for one chunk, `_writev` for those held back) while `run` runs. */
  async function socketWrites(run: () => Promise<unknown>): Promise<number> {
    const socket = redis.stream as Socket & Required<Pick<Socket, '_writev'>>;
    const spies = [jest.spyOn(socket, '_write'), jest.spyOn(socket, '_writev')];
    try {
      await run();
      return spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  it('sends the commands of one turn in one socket write, and each is answered', async () => {
    const writes = await socketWrites(async () => {
      corkUntilNextTurn(redis);
      const replies: Array<Promise<unknown>> = [redis.set('cork:k', 'v'), redis.get('cork:k')];
      corkUntilNextTurn(redis);
      replies.push(redis.incr('cork:n'));
      expect(await Promise.all(replies)).toEqual(['OK', 'v', 1]);
    });
    expect(writes).toBe(1);
  });

  it('holds nothing past the turn: a later command goes out as it is sent', async () => {
    corkUntilNextTurn(redis);
    await new Promise((resolve) => setImmediate(resolve));
    const writes = await socketWrites(async () => {
      expect(await Promise.all([redis.ping(), redis.ping()])).toEqual(['PONG', 'PONG']);
    });
    expect(writes).toBe(2);
  });
});
