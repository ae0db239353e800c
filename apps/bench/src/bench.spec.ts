import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

/**
 * A seconds-long run of the built bench (dist/, built by the test target's dependencies), so that it cannot rot:
 * a tiny sale through scenario 1, the whole pipeline with the services as processes, and the original demo.
 */
describe('npm run bench, smoke', () => {
  let dir: string;
  let stdout = '';
  let stderr = '';
  let code: number | null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'popup-bench-spec-'));
    const args = ['--runs', '1', '--scenarios', '1,2,5,sales,tokens,demo', '--customers', '200', '--units', '50'];
    const bench = spawn(
      process.execPath,
      [join(root, 'dist/apps/bench/main.js'), ...args, '--report', join(dir, 'report.json')],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    bench.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    bench.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    [code] = (await once(bench, 'close')) as [number | null];
    // Scenario 5 starts the services four times: on a busy CI machine that is most of the run.
  }, 300_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('ends every sale right and prints one table with a row per case and figure', () => {
    if (code !== 0) throw new Error(`the bench failed (code ${code}):\n${stderr}`);
    for (const row of [
      /\| 1 \| popup_decide_orders, batch 1 \| decisions\/s \| [\d,]+ \|/,
      /\| 1 \| popup_decide_orders, batch 1000, 2 in flight \| Redis CPU µs per decision \| [\d.]+ \|/,
      /\| baseline \| original demo .* \| stock at the end \(started at 50\) \| -150 \|/,
      /\| 2 \| pipeline, stream mode, 200 customers for 50 units \| decisions\/s end to end \| [\d,]+ \|/,
      /\| 2 \| .* \| submission → decision p99 ms \| [\d,]+ \|/,
      /\| 2 \| .* \| fulfilment-auditing CPU µs per order \| [\d.]+ \|/,
      /\| 5 \| appendfsync always, HTTP, 200 customers at 2,000\/s for 180 units \| orders accepted \(202\) \| [\d,]+ \|/,
      /\| 5 \| appendfsync everysec, stream mode, 200 customers for 180 units \| decisions\/s end to end \| [\d,]+ \|/,
      /\| sales \| 12 sales of 200 orders .* on one Redis \| decisions\/s, all sales \| [\d,]+ \|/,
      /\| sales \| 12 sales of 200 orders .* 3-master Redis Cluster .* \| busiest master's CPU µs per decision \| [\d.]+ \|/,
      /\| tokens \| customer tokens .* \| µs per verification \| [\d.]+ \|/,
    ]) {
      expect(stdout).toMatch(row);
    }
    expect(stdout).toMatch(/÷ original demo: [\d.]+× decisions\/s/);
    expect(stdout).toMatch(/scenario 2: ≥ 25,000 decisions\/s end to end/);
    expect(stdout).toMatch(/appendfsync always ÷ everysec, http: p99 [\d,]+ ms against [\d,]+ ms/);
    expect(stdout).toMatch(
      /many sales: the cluster's Redis CPU per decision ÷ one Redis's: [\d.]+×; the busiest master does \d+% of it/,
    );
    expect(stdout).toMatch(/a token verification costs [\d,.]+× a cache hit/);
  });

  it('writes every run’s raw figures with --report', async () => {
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(Object.keys(report.runs)).toEqual(expect.arrayContaining(['engine-b1', 'engine-b1000x2', 'demo', 'stream']));
    expect(report.runs.stream[0]).toMatchObject({ decisionsPerSecond: expect.any(Number), p99: expect.any(Number) });
    expect(report.machine).toMatchObject({ cores: expect.any(Number), redis: expect.any(String) });
  });
});
