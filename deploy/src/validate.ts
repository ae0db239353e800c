// The deploy project's build: validates the deployment without a Docker engine (`npx nx build deploy`).
// Building the images themselves needs one: docker compose -f deploy/compose.yaml build
import { CHECKS, loadDeployment } from './checks.ts';

async function main(): Promise<number> {
  const deployment = loadDeployment();
  let failed = 0;
  for (const [name, check] of Object.entries(CHECKS)) {
    const problems = await check(deployment);
    console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${name}`);
    for (const problem of problems) console.log(`       ${problem}`);
    if (problems.length > 0) failed += 1;
  }
  console.log(`${Object.keys(CHECKS).length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
