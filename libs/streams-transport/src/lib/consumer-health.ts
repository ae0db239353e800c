/** Whether a server can do its work right now, and if not, why. */
export interface Readiness {
  readonly ready: boolean;
  /** One line per stream that cannot be read, with the last error. */
  readonly problems: readonly string[];
}

/**
 * What the server's readers last saw of their streams: a stream whose reads fail (Redis away, the group gone and
 * not yet made again, no permission) makes the server not ready until a read succeeds again.
 */
export class ConsumerHealth {
  private readonly failures = new Map<string, string>();
  private listening = false;

  constructor(private readonly onRecreated: (stream: string, group: string) => void) {}

  started(): void {
    this.listening = true;
  }

  stopped(): void {
    this.listening = false;
  }

  reading(stream: string): void {
    this.failures.delete(stream);
  }

  failing(stream: string, reason: string): void {
    this.failures.set(stream, reason);
  }

  /** A stream no longer read (its source was let go): its last failure no longer counts. */
  forget(stream: string): void {
    this.failures.delete(stream);
  }

  recreated(stream: string, group: string): void {
    this.onRecreated(stream, group);
  }

  readiness(): Readiness {
    if (!this.listening) return { ready: false, problems: ['not listening'] };
    const problems = [...this.failures].map(([stream, reason]) => `${stream}: ${reason}`);
    return { ready: problems.length === 0, problems };
  }
}
