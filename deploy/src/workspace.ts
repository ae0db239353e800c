import { workspaceRoot } from '@nx/devkit';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';

/** Paths of the deployment, relative to the workspace root. */
export const DEPLOY = 'deploy';
export const COMPOSE_FILES = ['deploy/compose.yaml', 'deploy/compose.observability.yaml'];
export const ENV_FILE = 'deploy/.env';
export const COLLECTOR_CONFIG = 'deploy/otel-collector/otelcol-config.yml';
export const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml';
export const TEMPO_CONFIG = 'deploy/tempo/tempo.yaml';
export const REDIS_CONFIG = 'deploy/redis/redis.conf';
export const DATASOURCES = 'grafana/provisioning/datasources/datasources.yaml';
export const DASHBOARD_PROVIDERS = 'grafana/provisioning/dashboards/dashboards.yaml';

/** The services built from this repository, each with deploy/docker/<app>.Dockerfile. */
export const SERVICE_APPS = [
  'customer-intake',
  'order-generation',
  'fulfilment-auditing',
  'metrics-export',
  'identity-dev',
  'crowd',
];

export class Workspace {
  readonly root: string;

  constructor(root: string = workspaceRoot) {
    this.root = root;
  }

  path(rel: string): string {
    return resolve(this.root, rel);
  }

  /** `abs` relative to the root, with forward slashes; outside the root it starts with `..`. */
  rel(abs: string): string {
    return relative(this.root, abs).split('\\').join('/');
  }

  read(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }

  exists(rel: string): boolean {
    return existsSync(this.path(rel));
  }

  isFile(rel: string): boolean {
    return this.exists(rel) && statSync(this.path(rel)).isFile();
  }

  isDirectory(rel: string): boolean {
    return this.exists(rel) && statSync(this.path(rel)).isDirectory();
  }
}
