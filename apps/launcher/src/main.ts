import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { launchOptions } from './lib/launch-options';
import { renderReport } from './lib/report-view';
import { failedInvariants, launchJson } from './lib/sale-outcome';
import { runSales } from './lib/sale-run';
import { Terminal } from './lib/terminal';

/** This file is built to `<workspace>/dist/apps/launcher/main.js`. */
const workspace = resolve(dirname(process.argv[1]), '../../..');
/** Ctrl-C, a stop, or the terminal closing (Nx stops a task with SIGTERM, then its terminal goes). */
const EXIT_ON_SIGNAL = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

async function main(): Promise<number> {
  const options = launchOptions(process.argv.slice(2));
  // After a SIGHUP the terminal is gone and writes fail: the services and Redis must still be stopped.
  process.stdout.on('error', () => undefined);
  const terminal = new Terminal(process.stdout);
  const interrupted = new AbortController();
  for (const name of Object.keys(EXIT_ON_SIGNAL) as (keyof typeof EXIT_ON_SIGNAL)[]) {
    process.on(name, () => {
      if (interrupted.signal.aborted) {
        // A second Ctrl-C means now; a SIGHUP after Nx's SIGTERM must not cut the stopping short.
        if (name === 'SIGINT') process.exit(EXIT_ON_SIGNAL[name]);
        return;
      }
      terminal.line(`\n${name}: stopping the services and Redis (again to quit at once)`);
      interrupted.abort(name);
    });
  }
  try {
    const outcomes = await runSales(
      { ...options, distDir: join(workspace, 'dist'), dataDir: join(workspace, '.sale-data') },
      { terminal, signal: interrupted.signal },
    );
    terminal.line(renderReport(outcomes));
    if (options.reportFile) {
      await writeFile(options.reportFile, `${JSON.stringify(launchJson(outcomes), null, 2)}\n`);
      terminal.line(`Report written to ${options.reportFile}`);
    }
    return outcomes.some((outcome) => failedInvariants(outcome).length) ? 1 : 0;
  } catch (error) {
    if (interrupted.signal.aborted) {
      terminal.line('Interrupted: every service and Redis stopped.');
      return EXIT_ON_SIGNAL[interrupted.signal.reason as keyof typeof EXIT_ON_SIGNAL];
    }
    throw error;
  }
}

// Everything started was stopped by then; exiting at once spares waiting on idle keep-alive sockets.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
