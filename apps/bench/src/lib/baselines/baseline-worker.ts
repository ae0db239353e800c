import { saleKeys } from '@popup-store/keys';
import { connectServer } from '@popup-store/redis-connection';
import { bullmqWorker } from './bullmq-completer';
import { demoComplete } from './demo-completer';
import type { BaselineKind } from './paced-baselines';

/** How long the demo's read blocks: also how soon it notices SIGTERM. */
const DEMO_BLOCK_MS = 100;

/**
 * A baseline's completer as its own process (`main.js baseline-worker <kind> <redisUrl> <saleId>`), until SIGTERM:
 * prints `ready` once connected, so the bench starts pacing against a listening worker.
 */
export async function runBaselineWorker(kind: BaselineKind, redisUrl: string, saleId: string): Promise<void> {
  const redis = connectServer(redisUrl);
  const sale = saleKeys(saleId);
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  try {
    if (kind === 'demo') {
      await redis.ping();
      process.stdout.write('ready\n');
      await demoComplete(redis, sale, DEMO_BLOCK_MS, stop.signal);
    } else {
      const worker = bullmqWorker(redisUrl, redis, sale);
      const running = worker.run();
      await worker.waitUntilReady();
      process.stdout.write('ready\n');
      await new Promise((resolve) => stop.signal.addEventListener('abort', resolve));
      await worker.close();
      await running;
    }
  } finally {
    redis.disconnect();
  }
}
