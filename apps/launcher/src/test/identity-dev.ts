import { freePort } from '@popup-store/redis-process';
import { join } from 'node:path';
import { entryPoint, logFile } from '../lib/services';
import { Supervisor } from '../lib/supervisor';
import { DIST_DIR } from './pipeline';

export interface IdentityDev {
  readonly url: string;
  /** What customer-intake needs to verify its tokens. */
  readonly intakeEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** The development identity provider (apps/identity-dev) as a process under the launcher's supervisor. */
export async function startIdentityDev(logDir: string): Promise<IdentityDev> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const supervisor = new Supervisor({});
  supervisor.start({
    name: 'identity-dev',
    main: entryPoint(DIST_DIR, 'identity-dev'),
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', IDENTITY_ISSUER: url, LOG_LEVEL: 'warn' },
    logFile: logFile(logDir, 'identity-dev'),
  });
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) {
      await supervisor.stopAll();
      throw new Error(`identity-dev not ready at ${url} (see ${join(logDir, 'identity-dev.log')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    intakeEnv: { CUSTOMER_JWKS_URL: `${url}/.well-known/jwks.json`, CUSTOMER_TOKEN_ISSUER: url },
    stop: () => supervisor.stopAll(),
  };
}
