/** Where the launcher writes: a stream, and whether a person watches it live. */
export interface TerminalStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Without a TTY (CI, a pipe), a live line is printed at most this often, or a log would fill with them. */
const LOG_STATUS_EVERY_MS = 5_000;
/**
 * Cursor up one line, clear it, column 1: rewrites the live line without a carriage return, which Nx's
 * streamed output (`npm start`) would turn into a new, prefixed line.
 */
const REWRITE_PREVIOUS_LINE = '\x1b[1A\x1b[2K\x1b[1G';

/** Log lines, and one live status line that is rewritten in place on a TTY. */
export class Terminal {
  /** Whether the last line written is the live one, so the next status replaces it. */
  private live = false;
  private lastLogged = -Infinity;

  constructor(
    private readonly out: TerminalStream,
    private readonly now: () => number = Date.now,
  ) {}

  /** A line that stays; the live line, if any, stays above it. */
  line(text: string): void {
    this.out.write(`${text}\n`);
    this.live = false;
  }

  /** The live line: replaces the previous one on a TTY, else is logged every few seconds. */
  status(text: string): void {
    if (this.out.isTTY) {
      const fitted = this.out.columns ? text.slice(0, this.out.columns - 1) : text;
      this.out.write(`${this.live ? REWRITE_PREVIOUS_LINE : ''}${fitted}\n`);
      this.live = true;
    } else if (this.now() - this.lastLogged >= LOG_STATUS_EVERY_MS) {
      this.lastLogged = this.now();
      this.out.write(`${text}\n`);
    }
  }
}
