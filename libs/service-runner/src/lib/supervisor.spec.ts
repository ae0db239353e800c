import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@popup-store/redis-harness';
import { Supervisor } from './supervisor';

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
    await eventually(
      async () => (await readFile(logFile, 'utf8').catch(() => '')).includes('up'),
      'the service to start',
    );
    const first = supervisor.pid('a');
    process.kill(first as number, 'SIGKILL');
    await eventually(() => supervisor.pid('a') !== first, 'a new process');
    await eventually(
      async () => (await readFile(logFile, 'utf8')).includes(`up ${supervisor.pid('a')}`),
      'the restarted service',
    );
    expect(restarts).toEqual(['a SIGKILL']);
    expect(supervisor.restarts()).toEqual({ a: 1 });
    const second = supervisor.pid('a');
    await supervisor.stopAll();
    // The process has exited; its last line may still be on its way from the pipe into the log file.
    await eventually(
      async () => (await readFile(logFile, 'utf8')).includes(`graceful ${second}`),
      'the graceful goodbye of the restarted service',
    );
  });
});
