import { RedisServerProcess } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { connectServer } from './redis-connection';
import { execWithReplicaAcks, type PipelineReplies } from './replica-acks';

/** A master with one replica: WAIT's count is real, so one replica can acknowledge and a second cannot. */
describe('execWithReplicaAcks', () => {
  let master: RedisServerProcess;
  let replica: RedisServerProcess;
  let redis: Redis;
  let onReplica: Redis;
  let keys = 0;
  const freshKey = () => `acks:${++keys}`;

  beforeAll(async () => {
    // A replica's first sync would otherwise wait 5 s for more replicas to share the transfer.
    master = await RedisServerProcess.start({ extraArgs: ['--repl-diskless-sync-delay', '0'] });
    replica = await RedisServerProcess.start({ extraArgs: ['--replicaof', '127.0.0.1', String(master.port)] });
    redis = connectServer(master.url);
    onReplica = connectServer(replica.url);
    const deadline = Date.now() + 10_000;
    while (!/^slave0:.*state=online/m.test(await redis.info('replication'))) {
      if (Date.now() > deadline) throw new Error('the replica did not come online in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, 30_000);
  afterAll(async () => {
    for (const client of [redis, onReplica]) await client?.quit().catch(() => client.disconnect());
    await replica?.dispose();
    await master?.dispose();
  });

  it('resolves with the replies of the pipeline’s own commands once the replica holds the writes', async () => {
    const key = freshKey();
    const replies = await execWithReplicaAcks(
      redis.pipeline().set(key, 'v').incr(`${key}:n`),
      { replicas: 1, timeoutMs: 5000 },
      key,
    );
    expect(replies).toEqual([
      [null, 'OK'],
      [null, 1],
    ]);
    // Acknowledged means the replica has it: read there, not on the master.
    expect(await onReplica.get(key)).toBe('v');
  });

  it('fails a write fewer replicas had in time, with the counts, though the master has it', async () => {
    const key = freshKey();
    const pipeline = redis.pipeline().set(key, 'v');
    await expect(execWithReplicaAcks(pipeline, { replicas: 2, timeoutMs: 100 }, key)).rejects.toThrow(
      `${key}: written on the master, but 1 of 2 replicas had it after 100 ms`,
    );
    expect(await redis.get(key)).toBe('v');
  });

  it('gives back the replies of a pipeline that wrote nothing, whatever the replicas acknowledged', async () => {
    const key = freshKey();
    await redis.set(key, 'v');
    // SET NX finds the key and writes nothing: two replicas that cannot both answer do not fail it.
    const wrote = ([[, reply]]: PipelineReplies) => reply !== null;
    const pipeline = redis.pipeline().set(key, 'w', 'NX');
    await expect(execWithReplicaAcks(pipeline, { replicas: 2, timeoutMs: 100 }, key, { wrote })).resolves.toEqual([
      [null, null],
    ]);
    expect(await redis.get(key)).toBe('v');
  });

  it('throws the WAIT’s own error when Redis refuses it', async () => {
    const key = freshKey();
    await expect(
      execWithReplicaAcks(onReplica.pipeline().get(key), { replicas: 1, timeoutMs: 100 }, key),
    ).rejects.toThrow(/WAIT cannot be used with replica instances/);
  });

  it('sends no WAIT with 0 replicas', async () => {
    const key = freshKey();
    await redis.config('RESETSTAT');
    expect(await execWithReplicaAcks(redis.pipeline().set(key, 'v'), { replicas: 0, timeoutMs: 0 }, key)).toEqual([
      [null, 'OK'],
    ]);
    expect(await redis.info('commandstats')).not.toMatch(/^cmdstat_wait:/m);
  });
});
