import type { Redis } from 'ioredis';
import { readText } from '../src/workspace.ts';

/** Where Grafana's Redis user is defined, and where its password is. */
export const ACL_FILE = 'deploy/redis/users.acl';
export const ENV_FILE = 'deploy/.env';
const PASSWORD_VARIABLE = 'REDIS_GRAFANA_PASSWORD';

/** The rules of the `grafana` user in deploy/redis/users.acl (password hash included), and its password from deploy/.env. */
export function grafanaAcl(): { rules: string[]; password: string } {
  const line = readText(ACL_FILE)
    .split('\n')
    .find((candidate) => candidate.startsWith('user grafana '));
  if (!line) throw new Error(`${ACL_FILE} defines no user grafana`);
  const password = new RegExp(`^${PASSWORD_VARIABLE}=(.*)$`, 'm').exec(readText(ENV_FILE))?.[1]?.trim();
  if (!password) throw new Error(`${ENV_FILE} sets no ${PASSWORD_VARIABLE}`);
  return { rules: line.trim().split(/\s+/).slice(2), password };
}

/**
 * Creates, on a test Redis, a user with the rules of deploy/redis/users.acl's `grafana` (under `name`, so a shared
 * Redis keeps its own users) and returns how to log in as it with the password deploy/.env gives Grafana: a hash
 * that does not match the password fails the login. A Redis without RedisTimeSeries (before 8) refuses rules naming
 * TS.* commands; there they are left out, as docs/security.md says to do.
 */
export async function createGrafanaUser(admin: Redis, name: string): Promise<{ username: string; password: string }> {
  const { rules, password } = grafanaAcl();
  try {
    await admin.call('ACL', 'SETUSER', name, 'reset', ...rules);
  } catch (error) {
    if (!/Unknown command/i.test(String(error))) throw error;
    await admin.call('ACL', 'SETUSER', name, 'reset', ...rules.filter((rule) => !/^\+ts\./.test(rule)));
  }
  return { username: name, password };
}
