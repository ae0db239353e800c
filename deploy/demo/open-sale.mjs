// The demo profile's first step (deploy/compose.yaml, service `demo`): opens a fresh sale through customer-intake's
// operator endpoint, then the crowd plays it. Starts the sale over (force) so that `up` again gives a new sale.
// Runs on the crowd image's Node with no dependency: plain fetch.
const url = process.env.INTAKE_URL ?? 'http://customer-intake:3000';
const token = process.env.ADMIN_TOKEN ?? '';
const units = Number(process.env.DEMO_UNITS ?? 5000);
const durationSeconds = Number(process.env.DEMO_DURATION_SECONDS ?? 300);
const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 500;

if (!token) {
  console.error('demo: set ADMIN_TOKEN (16+ characters) in the environment of `docker compose up`');
  process.exit(1);
}

// Compose may start this before customer-intake is ready (a tool that ignores depends_on conditions does).
const deadline = Date.now() + READY_TIMEOUT_MS;
while (
  !(await fetch(`${url}/health/ready`).then(
    (r) => r.ok,
    () => false,
  ))
) {
  if (Date.now() > deadline) {
    console.error(`demo: customer-intake not ready at ${url} after ${READY_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}

const response = await fetch(`${url}/api/admin/sale`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ units, durationSeconds, force: true }),
});
const body = await response.text();
if (!response.ok) {
  console.error(`demo: opening the sale failed: ${response.status} ${body}`);
  process.exit(1);
}
console.log(`demo: sale open, ${units} units for ${durationSeconds} s: ${body}`);
