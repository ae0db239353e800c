import { Terminal } from './terminal';

function screen(isTTY: boolean, columns?: number) {
  const written: string[] = [];
  let now = 0;
  const terminal = new Terminal({ isTTY, columns, write: (text: string) => written.push(text) }, () => now);
  return { terminal, written, advance: (ms: number) => (now += ms) };
}

describe('Terminal', () => {
  it('rewrites the live line in place on a TTY, and keeps it above a log line', () => {
    const { terminal, written } = screen(true, 12);
    terminal.status('sold 1/10 units');
    terminal.status('sold 2/10 units');
    terminal.line('crowd done');
    terminal.status('draining');
    expect(written).toEqual(['sold 1/10 u\n', '\x1b[1A\x1b[2K\x1b[1Gsold 2/10 u\n', 'crowd done\n', 'draining\n']);
  });

  it('logs the live line every few seconds without a TTY', () => {
    const { terminal, written, advance } = screen(false);
    terminal.status('a');
    advance(4_000);
    terminal.status('b');
    advance(1_000);
    terminal.status('c');
    terminal.line('done');
    expect(written).toEqual(['a\n', 'c\n', 'done\n']);
  });
});
