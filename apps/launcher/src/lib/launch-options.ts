import { ConfigError, parseRedisClusterNodes, redisUrl, saleId } from '@popup-store/config';
import { Command, Option } from 'commander';
import { z } from 'zod';

/** What one `npm start` plays. */
export interface LaunchOptions {
  /** The Redis to use (shared: only this sale's keys are touched); a private redis-server when absent. */
  readonly redisUrl: string | undefined;
  /** A Redis Cluster to use, by its seed nodes (`REDIS_CLUSTER_NODES`, with `redisUrl`'s user and password). */
  readonly redisClusterNodes: string | undefined;
  /** Play the sale on a private 3-master Redis Cluster (each master with a replica) the launcher starts. */
  readonly cluster: boolean;
  /** Processes of each stream service. */
  readonly replicas: number;
  /** Sales played at once, each with `units`, `customers` and `rate` of its own (ids: {@link saleIdsOf}). */
  readonly sales: number;
  /**
   * The sale's waiting room (docs/waiting-room.md): on, the crowd queueing in it; `auto`, off until arrivals pass
   * the admission rate, the crowd ordering and sent to the line once it is on; or off.
   */
  readonly waitingRoom: boolean | 'auto';
  /** Its admissions per second; 0 derives them from the decisions measured. */
  readonly admitPerSecond: number;
  readonly saleId: string;
  readonly units: number;
  readonly customers: number;
  /** Mean arrivals per second. */
  readonly rate: number;
  /** The sale window, from when the sale is configured. */
  readonly durationMs: number;
  readonly seed: number;
  /** HTTP connections of each crowd (to each intake). */
  readonly connections: number;
  /** Where to write the outcome as JSON. */
  readonly reportFile: string | undefined;
}

const count = z.coerce.number().int().positive();

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const MS_PER = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `600`, `600s`, `10m`, `1h`, `1500ms`; a bare number is seconds. */
const duration = z
  .string()
  .regex(DURATION, 'a duration such as 600, 600s, 10m or 1h')
  .transform((text) => {
    const [, amount, unit = 's'] = DURATION.exec(text) as RegExpExecArray;
    return Math.round(Number(amount) * MS_PER[unit as keyof typeof MS_PER]);
  })
  .pipe(z.number().min(1_000, 'at least one second'));

interface Setting {
  /** Commander's flag syntax; none for settings only the environment gives. */
  readonly flag?: string;
  readonly env?: string;
  readonly help: string;
  /** As text, like a flag or a variable, so both go through the same schema. */
  readonly fallback?: string;
  readonly schema: z.ZodType;
}

/** Every setting once: flag, variable, default and validation. A flag wins over its variable. */
const settings = {
  redisUrl: {
    env: 'REDIS_URL',
    help: "Redis to use (only the sale's keys are touched); a private redis-server when unset",
    schema: redisUrl.unwrap().optional(),
  },
  redisClusterNodes: {
    env: 'REDIS_CLUSTER_NODES',
    help: 'a Redis Cluster to use instead, host:port,... (user and password from REDIS_URL)',
    schema: z
      .string()
      .refine((text) => typeof parseRedisClusterNodes(text) !== 'string', {
        error: (issue) => String(parseRedisClusterNodes(String(issue.input))),
      })
      .optional(),
  },
  cluster: {
    flag: '--cluster',
    help: 'play the sale on a private 3-master Redis Cluster (a replica each) instead of one redis-server',
    fallback: 'false',
    schema: z.union([z.boolean(), z.literal('false').transform(() => false)]),
  },
  replicas: {
    flag: '--replicas <n>',
    env: 'REPLICAS',
    help: 'processes of each stream service (consumers sharing each group; intakes on ports of their own)',
    fallback: '1',
    schema: count,
  },
  sales: {
    flag: '--sales <n>',
    env: 'SALES',
    help: 'sales played at once, each with --units, --customers and --rate of its own (ids <sale>-1 ... <sale>-n)',
    fallback: '1',
    schema: count,
  },
  waitingRoom: {
    flag: '--waiting-room [auto]',
    help: "turn the sale's waiting room on (the crowd joins the line and orders with its pass once admitted), or with auto let it turn itself on once arrivals pass the admission rate",
    fallback: 'false',
    schema: z.union([z.boolean(), z.literal('auto'), z.literal('false').transform(() => false)]),
  },
  admitPerSecond: {
    flag: '--admit-per-second <n>',
    env: 'ADMIT_PER_SECOND',
    help: "the waiting room's admissions per second (0: derived from the decisions measured)",
    fallback: '0',
    schema: z.coerce.number().int().min(0),
  },
  saleId: {
    flag: '--sale <id>',
    env: 'SALE_ID',
    help: 'sale id (the hash tag of its keys)',
    fallback: 'popup',
    schema: saleId,
  },
  units: { flag: '--units <n>', env: 'UNITS', help: 'units on sale', fallback: '10000', schema: count },
  customers: {
    flag: '--customers <n>',
    env: 'CUSTOMERS',
    help: 'distinct customers in the crowd',
    fallback: '15000',
    schema: count,
  },
  rate: { flag: '--rate <r>', env: 'RATE', help: 'mean arrivals per second', fallback: '2000', schema: count },
  durationMs: {
    flag: '--duration <d>',
    env: 'DURATION',
    help: 'sale window: 600, 600s, 10m, 1h',
    fallback: '10m',
    schema: duration,
  },
  seed: {
    flag: '--seed <n>',
    env: 'SEED',
    help: "seed of the crowd's schedule",
    fallback: '1',
    schema: z.coerce.number().int().min(0),
  },
  connections: {
    flag: '--connections <n>',
    env: 'CONNECTIONS',
    help: "the crowd's HTTP connections to each intake (a real crowd has one a shopper: more meet intake's shedding)",
    fallback: '64',
    schema: count,
  },
  reportFile: {
    flag: '--report <file>',
    help: 'write the outcome as JSON to this file',
    schema: z.string().min(1).optional(),
  },
} satisfies Record<keyof LaunchOptions, Setting>;

/** The ids of the sales a launch plays: `saleId` alone, or `<saleId>-1` ... `<saleId>-<sales>`. */
export function saleIdsOf({ saleId, sales }: Pick<LaunchOptions, 'saleId' | 'sales'>): string[] {
  return sales === 1 ? [saleId] : Array.from({ length: sales }, (_, index) => `${saleId}-${index + 1}`);
}

/** Reads the options from the command line (`argv` without node and script) and the environment. */
export function launchOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LaunchOptions {
  const program = new Command('npm start --')
    .description('Runs a whole flash sale: Redis, every service, a crowd over HTTP, then the audited report.')
    .showHelpAfterError();
  const flags = new Map<string, Option>();
  for (const [name, setting] of Object.entries(settings) as [string, Setting][]) {
    if (!setting.flag) continue;
    const origin = [setting.env && `env ${setting.env}`, setting.fallback && `default ${setting.fallback}`].filter(
      Boolean,
    );
    const option = new Option(setting.flag, origin.length ? `${setting.help} (${origin.join(', ')})` : setting.help);
    program.addOption(option);
    flags.set(name, option);
  }
  const envOnly = Object.values(settings as Record<string, Setting>).filter((setting) => !setting.flag);
  program.addHelpText('after', `\nEnvironment:\n${envOnly.map((s) => `  ${s.env}  ${s.help}`).join('\n')}`);
  const given = program.parse([...argv], { from: 'user' }).opts<Record<string, string | undefined>>();

  const resolved: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, setting] of Object.entries(settings) as [string, Setting][]) {
    const flag = flags.get(name);
    const fromEnv = setting.env ? env[setting.env] || undefined : undefined;
    const parsed = setting.schema.safeParse((flag && given[flag.attributeName()]) ?? fromEnv ?? setting.fallback);
    if (parsed.success) resolved[name] = parsed.data;
    else problems.push(`${[flag?.long, setting.env].filter(Boolean).join(' / ')}: ${parsed.error.issues[0].message}`);
  }
  if (resolved['cluster'] && resolved['redisClusterNodes'])
    problems.push('--cluster / REDIS_CLUSTER_NODES: --cluster starts a cluster of its own; give one or the other');
  const longest = `${String(resolved['saleId'])}-${String(resolved['sales'])}`;
  if (Number(resolved['sales']) > 1 && longest.length > 64)
    problems.push(`--sales / --sale: a sale id is at most 64 characters, and ${longest} is ${longest.length}`);
  if (problems.length) throw new ConfigError(problems);
  return resolved as unknown as LaunchOptions;
}
