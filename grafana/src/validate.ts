// The grafana project's build: checks the dashboards without Redis (`npx nx build grafana`). The specs also run every
// Redis query against a real Redis after a sale.
import { CHECKS, loadDashboardContext } from './checks.ts';

const context = loadDashboardContext();
let failed = 0;
for (const [name, check] of Object.entries(CHECKS)) {
  const problems = check(context);
  console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${name}`);
  for (const problem of problems) console.log(`       ${problem}`);
  if (problems.length > 0) failed += 1;
}
console.log(
  `${context.dashboards.length} dashboards; ${Object.keys(CHECKS).length - failed} checks passed, ${failed} failed`,
);
process.exitCode = failed === 0 ? 0 : 1;
