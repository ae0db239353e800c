import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { RunIdentity } from '@popup-store/service-runner';

export interface CrowdPlan {
  /** The crowd's built entry point. */
  readonly main: string;
  /** Every customer-intake: the crowd sends each request to the next one in turn. */
  readonly urls: readonly string[];
  /** The sale the crowd buys from (`/api/sales/<sale>/...`). */
  readonly sale: string;
  readonly customers: number;
  readonly rate: number;
  readonly seed: number;
  /** HTTP connections to each intake (the crowd's default, 64, when absent). */
  readonly connections?: number;
  readonly summaryFile: string;
  readonly logFile: string;
  /** Customers sign in with the identity provider's key, each from an address of its own. */
  readonly identity: Pick<RunIdentity, 'issuer' | 'audience' | 'signingKey'>;
  /** The crowd joins the sale's waiting room (`--waiting-room`). */
  readonly waitingRoom?: boolean;
  /** Aborting kills the crowd. */
  readonly signal: AbortSignal;
}

const percentiles = z.object({ p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() });

/** What the crowd writes with `--summary`: its HTTP side of the sale. */
const crowdSummary = z.object({
  customers: z.number(),
  orders: z.number(),
  sent: z.number(),
  answered: z.number(),
  retries: z.number(),
  networkErrors: z.number(),
  statuses: z.record(z.string(), z.number()),
  /** From each person's arrival to their last answer: retries and any wait in line included. */
  latencyMs: percentiles,
  /** Every HTTP request's own answer time (orders, retries, the line), and how many requests there were. */
  responseMs: percentiles.extend({ count: z.number() }),
  durationMs: z.number(),
  answersPerSecond: z.number(),
  acceptedCount: z.number(),
  /** With the waiting room: people admitted through it and their waits in line, ms. */
  line: z.object({ admitted: z.number(), p50: z.number(), p99: z.number(), max: z.number() }).optional(),
  /** Every ticket (order id) that got a 202. */
  accepted: z.array(z.string()),
});
export type CrowdSummary = z.infer<typeof crowdSummary>;
/** The crowd's figures without its list of tickets. */
export type CrowdFigures = Omit<CrowdSummary, 'accepted'>;

/**
 * Plays the crowd as its own process against customer-intake, as real customers would come over HTTP, and
 * reads back its summary. Its progress bar is off: the launcher's live view shows the sale instead.
 */
export async function playCrowd(plan: CrowdPlan): Promise<CrowdSummary> {
  const args = [
    plan.main,
    ['--url', plan.urls.join(',')],
    ['--sale', plan.sale],
    ['--customers', String(plan.customers)],
    ['--rate', String(plan.rate)],
    ['--seed', String(plan.seed)],
    plan.connections ? ['--connections', String(plan.connections)] : [],
    ['--summary', plan.summaryFile],
    ['--issuer', plan.identity.issuer],
    ['--audience', plan.identity.audience],
    '--forwarded-for',
    plan.waitingRoom ? ['--waiting-room'] : [],
    '--quiet',
  ].flat();
  // Its own process group: a Ctrl-C reaches the launcher alone, which then stops the crowd itself.
  const crowd = spawn(process.execPath, args, {
    // The key through the environment, not the command line that every process can read.
    env: { ...process.env, IDENTITY_SIGNING_KEY: plan.identity.signingKey },
    stdio: ['ignore', 'ignore', 'pipe'],
    signal: plan.signal,
    detached: true,
  });
  const log = createWriteStream(plan.logFile);
  let errors = '';
  crowd.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    errors = (errors + chunk.toString()).slice(-2000);
  });
  let code: number | null;
  let signal: NodeJS.Signals | null;
  try {
    [code, signal] = (await once(crowd, 'close')) as [number | null, NodeJS.Signals | null];
  } finally {
    log.end();
  }
  if (code !== 0) throw new Error(`the crowd failed (${signal ?? `code ${code}`}): ${errors.trim() || 'no output'}`);
  return crowdSummary.parse(JSON.parse(await readFile(plan.summaryFile, 'utf8')));
}
