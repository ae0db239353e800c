import { Test } from '@nestjs/testing';
import { customerContract, type Customer } from '@popup-store/contracts';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { RedisStreamsClient } from './client';
import { RedisStreamsClientModule } from './client.module';
import { RedisStreamsStatus } from './status';
import { ContractViolationError } from './codec';

describe('RedisStreamsClient', () => {
  let redis: TestRedis;
  let shared: Redis;
  let client: RedisStreamsClient;
  let stream: string;
  let n = 0;
  const customer = (i: number): Customer => ({
    orderId: `t-${i}`,
    customerId: `c${i}`,
    submittedAt: 1_760_000_000_000,
  });

  beforeAll(async () => {
    redis = await startTestRedis();
    shared = redis.client();
  });
  beforeEach(() => {
    stream = `{${redis.namespace}:sale${++n}}:customers`;
    client = new RedisStreamsClient({ connection: shared, streams: { [stream]: customerContract } });
  });
  afterEach(() => client.close());
  afterAll(() => redis.dispose());

  it('refuses a payload that breaks the contract with a clear error, and writes nothing', async () => {
    const invalid = { ...customer(1), submittedAt: 'now' };
    await expect(lastValueFrom(client.emit(stream, invalid))).rejects.toThrow(ContractViolationError);
    await expect(lastValueFrom(client.emit(stream, invalid))).rejects.toThrow(
      `payload for stream "${stream}" breaks contract customer v1: submittedAt: Invalid input: expected number, received string`,
    );
    await expect(client.emitBatch(stream, [customer(1), invalid, customer(2)])).rejects.toThrow(/submittedAt/);
    expect(await shared.xlen(stream)).toBe(0);
  });

  it('refuses streams it has no contract for, and request-response', async () => {
    await expect(lastValueFrom(client.emit('elsewhere', customer(1)))).rejects.toThrow(
      /no contract for stream "elsewhere"/,
    );
    await expect(lastValueFrom(client.send(stream, customer(1)))).rejects.toThrow(/events only/);
  });

  it('writes the emits of one event-loop turn in one pipeline, in order', async () => {
    const pipeline = jest.spyOn(shared, 'pipeline');
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => lastValueFrom(client.emit(stream, customer(i)))),
    );
    expect(pipeline).toHaveBeenCalledTimes(1);
    pipeline.mockRestore();
    const entries = await shared.xrange(stream, '-', '+');
    expect(entries.map(([id]) => id)).toEqual(ids);
    expect(entries.map(([, fields]) => JSON.parse(fields[3]).orderId)).toEqual(ids.map((_, i) => `t-${i}`));
  });

  it('is provided by RedisStreamsClientModule and closed with the application', async () => {
    const app = await Test.createTestingModule({
      imports: [
        RedisStreamsClientModule.register({
          name: 'ORDERS',
          connection: redis.url,
          streams: { [stream]: customerContract },
        }),
      ],
    }).compile();
    const provided = app.get<RedisStreamsClient>('ORDERS');
    expect(provided).toBeInstanceOf(RedisStreamsClient);
    const [id] = await provided.emitBatch(stream, [customer(1)]);
    expect(await shared.xrange(stream, id, id)).toHaveLength(1);
    const statuses: string[] = [];
    provided.status.subscribe((status) => statuses.push(status));
    await app.close();
    expect(statuses.at(-1)).toBe(RedisStreamsStatus.DISCONNECTED);
  });

  it('reports its status and leaves a connection it was given open', async () => {
    const statuses: string[] = [];
    client.status.subscribe((status) => statuses.push(status));
    await client.connect();
    await client.close();
    expect(statuses).toEqual([RedisStreamsStatus.CONNECTED, RedisStreamsStatus.DISCONNECTED]);
    expect(await shared.ping()).toBe('PONG');
  });
});
