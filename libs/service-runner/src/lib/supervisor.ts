import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export interface ServiceSpec {
  name: string;
  /** The built entry point, run with this process's Node. */
  main: string;
  /** Node flags before the entry point (a CPU profile, say). */
  nodeFlags?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Where its stdout and stderr go. */
  logFile: string;
}

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SupervisorEvents {
  restarted?(name: string, exit: string, attempt: number, delayMs: number): void;
}

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 5_000;
/** A run this long resets the backoff: the service was healthy, the next crash is a new incident. */
const HEALTHY_AFTER_MS = 10_000;
const STOP_GRACE_MS = 10_000;

/** Keeps each service running as its own process, as an orchestrator would: a service that dies is restarted with backoff. */
export class Supervisor {
  private readonly running = new Map<string, Supervised>();
  private stopping = false;

  constructor(private readonly events: SupervisorEvents = {}) {}

  start(spec: ServiceSpec): void {
    const supervised = new Supervised(spec, createWriteStream(spec.logFile, { flags: 'a' }));
    this.running.set(spec.name, supervised);
    this.launch(supervised);
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child?.pid;
  }

  /** Restart count per service since start. */
  restarts(): Record<string, number> {
    return Object.fromEntries([...this.running].map(([name, s]) => [name, s.restarts]));
  }

  /** Whether the service's current process is alive (not exited, not waiting for its restart). */
  isRunning(name: string): boolean {
    const child = this.running.get(name)?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /**
   * SIGTERM every service (graceful shutdown drains in-flight work), SIGKILL what is left after a grace period;
   * resolves with how each last process ended.
   */
  async stopAll(): Promise<Record<string, Exit>> {
    this.stopping = true;
    const exits = await Promise.all(
      [...this.running.entries()].map(async ([name, supervised]): Promise<[string, Exit]> => {
        clearTimeout(supervised.pendingRestart);
        const child = supervised.child;
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        await new Promise((done) => supervised.log.end(done));
        return [name, { code: child?.exitCode ?? null, signal: child?.signalCode ?? null }];
      }),
    );
    return Object.fromEntries(exits);
  }

  private launch(supervised: Supervised): void {
    const { spec } = supervised;
    // Its own process group: a Ctrl-C in the terminal reaches the launcher alone, which stops the services in
    // order; were they in its group, they would all get SIGINT at once and be restarted as crashed.
    const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), spec.main], {
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.pipe(supervised.log, { end: false });
    child.stderr?.pipe(supervised.log, { end: false });
    supervised.child = child;
    supervised.startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (Date.now() - supervised.startedAt > HEALTHY_AFTER_MS) supervised.attempt = 0;
      const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** supervised.attempt);
      supervised.attempt++;
      supervised.restarts++;
      this.events.restarted?.(spec.name, signal ?? `code ${code}`, supervised.restarts, delayMs);
      supervised.pendingRestart = setTimeout(() => this.launch(supervised), delayMs);
    });
  }
}

class Supervised {
  child: ChildProcess | undefined;
  startedAt = 0;
  attempt = 0;
  restarts = 0;
  pendingRestart: NodeJS.Timeout | undefined;

  constructor(
    readonly spec: ServiceSpec,
    readonly log: WriteStream,
  ) {}
}
