import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor } from './supervisor';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Supervisor', () => {
  let dir: string;
  let main: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supervisor-'));
    main = join(dir, 'service.cjs');
    // Says hello, then stays up until SIGTERM, when it says goodbye and exits cleanly.
    await writeFile(
      main,
      `console.log('up ' + process.pid);
       process.on('SIGTERM', () => { console.log('graceful ' + process.pid); process.exit(0); });
       setInterval(() => {}, 1000);`,
    );
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('restarts a service killed with -9, with a log line, and stops all gracefully', async () => {
    const restarts: string[] = [];
    const supervisor = new Supervisor({ restarted: (name, exit) => restarts.push(`${name} ${exit}`) });
    const logFile = join(dir, 'a.log');
    supervisor.start({ name: 'a', main, env: process.env, logFile });
    await until(async () => (await readFile(logFile, 'utf8').catch(() => '')).includes('up'));
    const first = supervisor.pid('a');
    process.kill(first as number, 'SIGKILL');
    await until(() => supervisor.pid('a') !== first);
    await until(async () => (await readFile(logFile, 'utf8')).includes(`up ${supervisor.pid('a')}`));
    expect(restarts).toEqual(['a SIGKILL']);
    expect(supervisor.restarts()).toEqual({ a: 1 });
    const second = supervisor.pid('a');
    await supervisor.stopAll();
    expect(await readFile(logFile, 'utf8')).toContain(`graceful ${second}`);
  });
});
