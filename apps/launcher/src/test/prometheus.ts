import { eventually } from '@popup-store/redis-harness';
import { freePort } from '@popup-store/redis-process';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Seconds between scrapes: short, so a sale of a few seconds leaves enough points for rate() over 4 s. */
export const SCRAPE_INTERVAL_S = 1;

/** One series of a range query's answer. */
export interface RangeSeries {
  readonly metric: Record<string, string>;
  readonly values: [seconds: number, value: string][];
}

function requireBinary(name: string): void {
  if (spawnSync(name, ['--version'], { stdio: 'ignore' }).error)
    throw new Error(`${name} is not installed: apt-get install -y prometheus (.ci/run does it, like redis-server)`);
}

/** A real Prometheus (Debian's package) on a free port, with a data folder of its own, scraping `targets`. */
export class PrometheusProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly logFile: string,
  ) {}

  /** Starts it scraping `targets` (`host:port`, path /metrics) every second; resolves once it is ready. */
  static async start(dir: string, targets: readonly string[]): Promise<PrometheusProcess> {
    requireBinary('prometheus');
    await mkdir(join(dir, 'data'), { recursive: true });
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      JSON.stringify({
        global: { scrape_interval: `${SCRAPE_INTERVAL_S}s`, evaluation_interval: `${SCRAPE_INTERVAL_S}s` },
        scrape_configs: [{ job_name: 'metrics-export', static_configs: [{ targets }] }],
      }),
    );
    const port = await freePort();
    const logFile = join(dir, 'prometheus.log');
    const log = createWriteStream(logFile);
    const child = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const prometheus = new PrometheusProcess(child, `http://127.0.0.1:${port}`, logFile);
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited (see ${logFile})`);
          return (await fetch(`${prometheus.url}/-/ready`).catch(() => undefined))?.ok === true;
        },
        `prometheus ready (see ${logFile})`,
        30_000,
      );
    } catch (error) {
      await prometheus.stop();
      throw error;
    }
    return prometheus;
  }

  /** `/api/v1/query_range` with a step of one scrape interval; throws on an error answer. */
  async queryRange(query: string, startMs: number, endMs: number): Promise<RangeSeries[]> {
    const params = new URLSearchParams({
      query,
      start: String(startMs / 1000),
      end: String(endMs / 1000),
      step: `${SCRAPE_INTERVAL_S}s`,
    });
    const response = await fetch(`${this.url}/api/v1/query_range?${params}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: RangeSeries[] } };
    if (body.status !== 'success') throw new Error(`${query}: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  }

  /** `/api/v1/label/<label>/values` of the series `match` selects over the range: Grafana's `label_values(match, label)`. */
  async labelValues(label: string, match: string, startMs: number, endMs: number): Promise<string[]> {
    const params = new URLSearchParams({ 'match[]': match, start: String(startMs / 1000), end: String(endMs / 1000) });
    const response = await fetch(`${this.url}/api/v1/label/${encodeURIComponent(label)}/values?${params}`);
    const body = (await response.json()) as { status: string; error?: string; data?: string[] };
    if (body.status !== 'success')
      throw new Error(`label_values(${match}, ${label}): ${body.error ?? response.status}`);
    return body.data ?? [];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** `promtool check metrics` on an exposition: its exit code and what it printed (problems, one a line). */
export function promtoolCheckMetrics(exposition: string): { status: number | null; output: string } {
  requireBinary('promtool');
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
