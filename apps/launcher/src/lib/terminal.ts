/** Where the launcher writes: a stream, and whether a person watches it live. */
export interface TerminalStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Without a TTY (CI, a pipe), a live line is printed at most this often, or a log would fill with them. */
const LOG_STATUS_EVERY_MS = 5_000;
const CLEAR_LINE = '\r\x1b[2K';

/** Log lines, with one live status line under them that is rewritten in place on a TTY. */
export class Terminal {
  private shown = '';
  private lastLogged = 0;

  constructor(
    private readonly out: TerminalStream,
    private readonly now: () => number = Date.now,
  ) {}

  /** A line that stays. */
  line(text: string): void {
    if (this.out.isTTY && this.shown) this.out.write(`${CLEAR_LINE}${text}\n${this.shown}`);
    else this.out.write(`${text}\n`);
  }

  /** The live line: replaces the previous one on a TTY, else is logged every few seconds. */
  status(text: string): void {
    if (this.out.isTTY) {
      this.shown = this.out.columns ? text.slice(0, this.out.columns - 1) : text;
      this.out.write(`${CLEAR_LINE}${this.shown}`);
    } else if (this.now() - this.lastLogged >= LOG_STATUS_EVERY_MS) {
      this.lastLogged = this.now();
      this.out.write(`${text}\n`);
    }
  }

  /** Leaves the last live line on screen and goes on below it. */
  endStatus(): void {
    if (this.out.isTTY && this.shown) this.out.write('\n');
    this.shown = '';
  }
}
