import { customerContract, type Customer } from '@popup-store/contracts';
import { RedisServerProcess } from '@popup-store/redis-process';
import type { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { RedisStreamsClient } from '../src/lib/client';
import { entryFields } from '../src/lib/codec';
import { startConsumerApp } from '../src/test/consumer-app';

/**
 * Entries per second from one producer to a consumer group of two (two RedisStreamsServer instances in this
 * process), end to end: from the first XADD to the last entry handled. The producer writes chunks of `batch`
 * entries (emitBatch, awaited one after the other) and the consumers read `batch` entries per XREADGROUP.
 * `redis-benchmark` pipelining XADDs on the same server is the ceiling.
 *
 * Run: `npx nx bench streams-transport` (node -r ./bench/register.cjs bench/transport.bench.ts).
 */
const RUNS = 3;
const CASES = [
  { batch: 1, entries: 20_000 },
  { batch: 100, entries: 100_000 },
  { batch: 1000, entries: 100_000 },
];
const PAYLOAD: Customer = { orderId: 't-000000', customerId: 'customer-000000', submittedAt: 1_760_000_000_000 };

async function main(): Promise<void> {
  const redis = await RedisServerProcess.start();
  try {
    const rows: string[][] = [];
    let medianAt1000 = 0;
    for (const { batch, entries } of CASES) {
      const rates: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        rates.push(await transportRun(redis.url, `{bench:b${batch}r${run}}:customers`, batch, entries));
      }
      const median = middle(rates);
      if (batch === 1000) medianAt1000 = median;
      rows.push([String(batch), String(entries), fmt(median), `${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}`]);
    }
    const ceilings: number[] = [];
    for (let run = 1; run <= RUNS; run++) ceilings.push(await redisBenchmark(redis.port));
    const ceiling = middle(ceilings);
    const table = [
      `streams transport on Node ${process.version}, ${availableParallelism()} cores, Redis on 127.0.0.1`,
      `1 producer → group of 2 consumers, entries/s, median of ${RUNS} runs`,
      '',
      '| batch | entries | median | min–max | median / ceiling |',
      '| ----: | ------: | -----: | ------: | ---------------: |',
      ...rows.map((row) => `| ${row.join(' | ')} | ${(Number(row[2].replace(/,/g, '')) / ceiling).toFixed(3)} |`),
      '',
      `ceiling: redis-benchmark -n 200000 -P 100 XADD, median ${fmt(ceiling)} (runs: ${ceilings.map(fmt).join(', ')}) entries/s`,
      `batch 1000 reaches ${((medianAt1000 / ceiling) * 100).toFixed(1)}% of the ceiling`,
    ];
    console.log(table.join('\n'));
  } finally {
    await redis.dispose();
  }
}

async function transportRun(url: string, stream: string, batch: number, entries: number): Promise<number> {
  let handled = 0;
  let allHandled!: () => void;
  const done = new Promise<void>((resolve) => (allHandled = resolve));
  const count = () => {
    if (++handled === entries) allHandled();
  };
  const options = (consumer: string) => ({
    connection: url,
    group: 'bench',
    consumer,
    streams: { [stream]: customerContract },
    batchSize: batch,
    maxInFlight: Math.max(1000, 2 * batch),
  });
  const consumers = await Promise.all(['one', 'two'].map((name) => startConsumerApp(options(name), stream, count)));
  const producer = new RedisStreamsClient({ connection: url, streams: { [stream]: customerContract } });
  await producer.connect();
  const chunk = Array.from({ length: batch }, () => PAYLOAD);

  const started = performance.now();
  for (let written = 0; written < entries; written += batch) await producer.emitBatch(stream, chunk);
  await done;
  const elapsed = performance.now() - started;

  await Promise.all(consumers.map(({ app }) => app.close()));
  await producer.unwrap<Redis>().del(stream);
  await producer.close();
  return (entries / elapsed) * 1000;
}

/** requests/s of redis-benchmark pipelining 100 XADDs at a time, the size of one transport entry. */
function redisBenchmark(port: number): Promise<number> {
  const data = JSON.stringify(PAYLOAD);
  const args = [
    '-p',
    String(port),
    '-n',
    '200000',
    '-P',
    '100',
    '-q',
    'XADD',
    'bench:ceiling',
    '*',
    ...entryFields(customerContract, data),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', () => {
      const match = /([\d.]+) requests per second/.exec(output);
      if (match) resolve(Number(match[1]));
      else reject(new Error(`no rate in redis-benchmark output: ${output}`));
    });
  });
}

function middle(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
