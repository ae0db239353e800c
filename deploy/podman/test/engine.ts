import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);

/** Runs a command to its end; fails with its output when it exits non-zero. */
export async function sh(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(command, args, { env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')}: ${failed.message}\n${tail(failed.stdout)}\n${tail(failed.stderr)}`);
  }
}

/** The last lines of a command's output, enough to see why it failed. */
export function tail(text: string | undefined, lines = 40): string {
  return (text ?? '').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A command running in the background, its output kept, awaited with `done`. */
export function background(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${tail(stdout)}\n${tail(stderr)}`)),
    );
  });
  return { done };
}

/** Polls `probe` until it gives a value; fails after `timeoutMs`, saying what it waited for. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not after ${timeoutMs / 1000} s${last ? ` (${String(last)})` : ''}`);
    await sleep(250);
  }
}

/** `podman inspect` of one container or image, parsed. */
export async function inspect(kind: 'container' | 'image', name: string): Promise<Record<string, unknown>> {
  const [first] = JSON.parse(await sh('podman', [kind, 'inspect', name])) as Record<string, unknown>[];
  if (!first) throw new Error(`podman ${kind} inspect ${name}: nothing`);
  return first;
}

/** What a field of an inspect answer holds, by a dotted path ("State.Status"). */
export function field(object: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

/** Names of what podman holds of a kind (containers, volumes, networks) with a label. */
export async function labelled(kind: 'ps' | 'volume' | 'network', label: string): Promise<string[]> {
  const args =
    kind === 'ps'
      ? ['ps', '-a', '--filter', `label=${label}`, '--format', '{{.Names}}']
      : [kind, 'ls', '--filter', `label=${label}`, '--format', '{{.Name}}'];
  return (await sh('podman', args)).split('\n').filter(Boolean);
}
