import { execFile, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What one wrk run measured. */
export interface WrkSummary {
  readonly requests: number;
  /** Answers that were not 2xx or 3xx. */
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
}

/**
 * Each request is the next pre-signed customer (a file of `Bearer <token>` lines, the script's argument), from an
 * address of its own in X-Forwarded-For (intake trusts 127.0.0.1, the proxy). One thread: a Lua state per thread
 * would hand out the same customers twice.
 */
const SCRIPT = `
local bearers, sent = {}, 0
function init(args)
  for line in io.lines(args[1]) do bearers[#bearers + 1] = line end
end
function request()
  sent = sent + 1
  local address = string.format("10.%d.%d.%d", math.floor(sent / 65536) % 256, math.floor(sent / 256) % 256, sent % 256)
  return wrk.format("POST", "/api/orders", { ["Authorization"] = bearers[((sent - 1) % #bearers) + 1], ["X-Forwarded-For"] = address })
end
`;

/** Fails with what to install when wrk is not there: the bench's HTTP figures need it. */
export function assertWrk(): void {
  const found = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (found.error) throw new Error('wrk is not installed: apt-get install wrk (scenario 3 measures HTTP with it)');
}

/** Writes the bearers and the script into `dir`; returns how to run them. */
export async function wrkOrders(dir: string, bearers: readonly string[]): Promise<(url: string) => Promise<WrkSummary>> {
  const script = join(dir, 'orders.lua');
  const tokens = join(dir, 'bearers.txt');
  await writeFile(script, SCRIPT);
  await writeFile(tokens, `${bearers.join('\n')}\n`);
  return (url) => runWrk(url, script, tokens);
}

/**
 * wrk's closed loop: CONNECTIONS connections, each sending its next request as soon as the last is answered. Enough
 * of them that intake is measured at its capacity, not at 64 / (its Redis round trip) on a busy machine.
 */
const CONNECTIONS = 256;
const SECONDS = 5;

async function runWrk(url: string, script: string, tokens: string): Promise<WrkSummary> {
  const { stdout } = await promisify(execFile)(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, `${url}/api/orders`, '--', tokens],
    { encoding: 'utf8' },
  );
  return parseWrk(stdout);
}

/** The figures of wrk's report (`--latency`). */
export function parseWrk(text: string): WrkSummary {
  const number = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  const ms = (percent: number) => {
    const [, value, unit] = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text) ?? [];
    return Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requests: number(/(\d+) requests in/),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: errors ? errors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0,
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    latencyMs: { p50: ms(50), p99: ms(99) },
  };
}
