import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { SaleIdentity } from './sale-identity';
import type { ServiceSpec } from './supervisor';

/** The services of the store, each run as its own process. */
export const SERVICES = ['customer-intake', 'order-generation', 'fulfilment-auditing', 'metrics-export'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The development identity provider customers sign in at: one more process beside the services. */
export const IDENTITY_PROVIDER = 'identity-dev';

/** Every app `npm start` runs: the services, the identity provider and the crowd. */
export const APPS = [...SERVICES, IDENTITY_PROVIDER, 'crowd'] as const;

export interface ServicePlan {
  /** The workspace's `dist` folder. */
  readonly distDir: string;
  readonly logDir: string;
  readonly redisUrl: string;
  readonly saleId: string;
  readonly intakePort: number;
  readonly metricsPort: number;
  /** identity-dev, whose JWKS customer-intake verifies tokens with. */
  readonly identity: Pick<SaleIdentity, 'issuer' | 'audience' | 'ticketSecret'>;
}

/** The built entry point of an app. */
export function entryPoint(distDir: string, app: string): string {
  return join(distDir, 'apps', app, 'main.js');
}

export function logFile(logDir: string, app: string): string {
  return join(logDir, `${app}.log`);
}

/** Fails naming every app that has not been built, and how to build it. */
export async function assertBuilt(distDir: string): Promise<void> {
  const missing: string[] = [];
  for (const app of APPS) {
    const main = entryPoint(distDir, app);
    if (
      !(await access(main).then(
        () => true,
        () => false,
      ))
    )
      missing.push(main);
  }
  if (missing.length) {
    throw new Error(
      `not built: ${missing.join(', ')}\n  build them with: npx nx run-many -t build (npm start does it for you)`,
    );
  }
}

/** How each service is started: its entry point, log file and environment. */
export function serviceSpecs(plan: ServicePlan, env: NodeJS.ProcessEnv = process.env): ServiceSpec[] {
  const common = { ...env, REDIS_URL: plan.redisUrl, SALE_ID: plan.saleId };
  const own: Record<ServiceName, NodeJS.ProcessEnv> = {
    'customer-intake': {
      PORT: String(plan.intakePort),
      HOST: '127.0.0.1',
      CUSTOMER_JWKS_URL: `${plan.identity.issuer}/.well-known/jwks.json`,
      CUSTOMER_TOKEN_ISSUER: plan.identity.issuer,
      CUSTOMER_TOKEN_AUDIENCE: plan.identity.audience,
      TICKET_SECRET: plan.identity.ticketSecret,
      // The crowd stands in for an edge proxy: it forwards each customer's own address from this host.
      TRUSTED_PROXIES: '127.0.0.1',
    },
    'order-generation': {},
    'fulfilment-auditing': {},
    'metrics-export': { METRICS_PORT: String(plan.metricsPort), METRICS_HOST: '127.0.0.1' },
  };
  return SERVICES.map((name) => ({
    name,
    main: entryPoint(plan.distDir, name),
    env: { ...common, ...own[name] },
    logFile: logFile(plan.logDir, name),
  }));
}

/** How identity-dev is started: on the issuer's port, signing with the sale's key. */
export function identityProviderSpec(
  distDir: string,
  logDir: string,
  identity: SaleIdentity,
  env: NodeJS.ProcessEnv = process.env,
): ServiceSpec {
  const { port } = new URL(identity.issuer);
  return {
    name: IDENTITY_PROVIDER,
    main: entryPoint(distDir, IDENTITY_PROVIDER),
    env: {
      ...env,
      PORT: port,
      HOST: '127.0.0.1',
      IDENTITY_ISSUER: identity.issuer,
      IDENTITY_AUDIENCE: identity.audience,
      IDENTITY_SIGNING_KEY: identity.signingKey,
      LOG_LEVEL: 'warn',
    },
    logFile: logFile(logDir, IDENTITY_PROVIDER),
  };
}
