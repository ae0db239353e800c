import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { planArrivals } from './lib/arrivals';
import { saleKeys } from '@popup-store/keys';
import { HttpShopper } from './lib/http-shopper';
import { addressOf, signInCrowd, type SignInSource } from './lib/sign-in';
import { playCrowd } from './lib/play-crowd';
import { StreamShopper } from './lib/stream-shopper';

const number = (min: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) throw new InvalidArgumentError(`a number >= ${min}`);
  return parsed;
};

const program = new Command('crowd')
  .description('Plays a flash-sale crowd against customer-intake: N customers at rate R, seeded and reproducible.')
  .option('--customers <n>', 'distinct customers', number(1), 15_000)
  .option('--rate <r>', 'mean arrivals per second', number(1), 5_000)
  .option('--repeat-share <s>', 'share of arrivals that are a customer ordering again', number(0), 0.1)
  .option('--seed <n>', 'seed of the schedule', number(0), 1)
  .option('--target <target>', 'http (through customer-intake) or stream (straight into the customers stream)', 'http')
  .option(
    '--url <urls>',
    'customer-intake base URL, or several comma-separated (requests go to each in turn)',
    process.env['INTAKE_URL'] ?? 'http://127.0.0.1:3000',
  )
  .option('--redis <url>', 'Redis, for --target stream', process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379')
  .option('--sale <id>', 'the sale the crowd buys from (/api/sales/<id>/...)', process.env['SALE_ID'] ?? 'popup')
  .option('--connections <n>', 'HTTP connections', number(1), 64)
  .option(
    '--identity <url>',
    'the identity provider customers sign in at (POST /token), for --target http',
    process.env['IDENTITY_URL'] ?? 'http://127.0.0.1:4000',
  )
  .option(
    '--signing-key <key>',
    'or sign the tokens with the identity provider’s own private key (PEM or JWK): fast for big crowds',
    process.env['IDENTITY_SIGNING_KEY'],
  )
  .option(
    '--issuer <iss>',
    'the iss of tokens signed with --signing-key',
    process.env['IDENTITY_ISSUER'] ?? 'http://127.0.0.1:4000',
  )
  .option(
    '--audience <aud>',
    'the aud of tokens signed with --signing-key',
    process.env['IDENTITY_AUDIENCE'] ?? 'popup-store',
  )
  .option(
    '--forwarded-for',
    'send each customer’s own address in X-Forwarded-For (intake must trust this host in TRUSTED_PROXIES)',
  )
  .option('--max-retries <n>', 'retries of a customer told to wait (429/503)', number(0), 3)
  .option(
    '--waiting-room',
    'customers join the sale’s line (POST /api/sales/<sale>/queue) and order with the pass once admitted',
  )
  .option('--summary <file>', 'write the summary, with every accepted ticket, as JSON')
  .option('--quiet', 'no progress bar')
  .parse();

async function main(): Promise<void> {
  const options = program.opts();
  if (options.repeatShare >= 1) throw new InvalidArgumentError('--repeat-share must be below 1');
  const arrivals = planArrivals({
    customers: options.customers,
    rate: options.rate,
    repeatShare: options.repeatShare,
    seed: options.seed,
  });
  if (options.target !== 'http' && options.target !== 'stream')
    throw new InvalidArgumentError('--target is http or stream');
  let shopper: HttpShopper | StreamShopper;
  if (options.target === 'http') {
    const source: SignInSource = options.signingKey
      ? { signingKey: options.signingKey, issuer: options.issuer, audience: options.audience }
      : { identityUrl: options.identity };
    const bearers = await signInCrowd(
      arrivals.map((arrival) => arrival.customerId),
      source,
    );
    const addresses = new Map([...bearers.keys()].map((name, index) => [name, addressOf(index)]));
    shopper = new HttpShopper({
      url: String(options.url)
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
      connections: options.connections,
      maxRetries: options.maxRetries,
      authorization: (customerId) => bearers.get(customerId),
      forwardedFor: options.forwardedFor ? (customerId) => addresses.get(customerId) as string : undefined,
      sale: options.sale,
      waitingRoom: options.waitingRoom === true,
    });
  } else {
    shopper = new StreamShopper(options.redis, saleKeys(options.sale));
  }
  const bar = new SingleBar({
    format: 'crowd {bar} {value}/{total} orders | {accepted} accepted | {rate} answers/s',
    stream: process.stderr,
    noTTYOutput: !options.quiet,
    notTTYSchedule: 2000,
  });
  if (!options.quiet) bar.start(arrivals.length, 0, { accepted: 0, rate: 0 });
  const startedAt = performance.now();
  const { tally, durationMs } = await playCrowd(
    arrivals,
    (customerId, at, t) => shopper.order(customerId, at, t),
    (done, _total, t) => {
      if (options.quiet) return;
      const seconds = (performance.now() - startedAt) / 1000;
      bar.update(done, { accepted: t.accepted.length, rate: Math.round(t.answered / seconds) });
    },
  );
  if (!options.quiet) bar.stop();
  await shopper.close();

  const summary = {
    customers: options.customers,
    orders: arrivals.length,
    sent: tally.sent,
    answered: tally.answered,
    retries: tally.retries,
    networkErrors: tally.networkErrors,
    statuses: tally.statuses,
    latencyMs: tally.latency(),
    responseMs: tally.responses(),
    durationMs: Math.round(durationMs),
    answersPerSecond: Math.round(tally.answered / (durationMs / 1000)),
    acceptedCount: tally.accepted.length,
    ...(tally.line() ? { line: tally.line() } : {}),
  };
  console.log(JSON.stringify(summary, null, 2));
  if (options.summary) await writeFile(options.summary, JSON.stringify({ ...summary, accepted: tally.accepted }));
}

main().catch((error: unknown) => {
  console.error(`crowd: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
