import { SERVICES, type ServiceName } from '@popup-store/keys';
import { IDENTITY_PROVIDER } from './run-identity';

/** One process of the store as `npm start` runs it: a built app of dist/apps, with what it needs to be told. */
export interface ProcessEntry {
  /** The app's name: its entry point is `dist/apps/<name>/main.js`, its log `<logDir>/<name>.log`. */
  readonly name: string;
  /** The variable that sets each port it listens on (given a free port), by what the port is for. */
  readonly listens?: Readonly<Record<string, string>>;
  /** Fixed additions to its environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** A path on its `http` port that answers 200 once it serves; readiness waits for it. */
  readonly readyPath?: string;
  /**
   * What every other process is told about this one once its ports are known (an issuer's URL, say), from the
   * base URL of each of its ports.
   */
  readonly tells?: (urls: Readonly<Record<string, string>>) => NodeJS.ProcessEnv;
}

/**
 * The processes of the store, in the order they start. A stream service reads and writes what the topology of
 * `@popup-store/keys` says; a process that is not a stream service (an identity provider, say) is one more entry.
 */
export const PROCESSES: readonly ProcessEntry[] = [
  {
    name: IDENTITY_PROVIDER,
    listens: { PORT: 'http' },
    env: { HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    readyPath: '/health/ready',
    // customer-intake verifies the customers' tokens with its key set; the run's own key signs them.
    tells: ({ http }) => ({ CUSTOMER_TOKEN_ISSUER: http, CUSTOMER_JWKS_URL: `${http}/.well-known/jwks.json` }),
  },
  {
    name: 'customer-intake',
    listens: { PORT: 'http' },
    // The crowd and the bench's load stand in for an edge proxy: each forwards its customer's own address.
    env: { HOST: '127.0.0.1', TRUSTED_PROXIES: '127.0.0.1' },
    readyPath: '/health/ready',
  },
  { name: 'order-generation' },
  { name: 'fulfilment-auditing' },
  { name: 'metrics-export', listens: { METRICS_PORT: 'metrics' }, env: { METRICS_HOST: '127.0.0.1' } },
];

/** The entry of a process, by name; throws on a name the list does not have. */
export function processEntry(name: string): ProcessEntry {
  const entry = PROCESSES.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no process ${name}; the store runs ${PROCESSES.map((p) => p.name).join(', ')}`);
  return entry;
}

/** Whether `name` is one of the stream services of the topology. */
export function isStreamService(name: string): name is ServiceName {
  return (SERVICES as readonly string[]).includes(name);
}

/** The names of {@link PROCESSES}, in start order. */
export const PROCESS_NAMES: readonly string[] = PROCESSES.map((entry) => entry.name);
