import { createHash } from 'node:crypto';
import { type Deployment, loadDeployment, service } from '../src/checks.ts';
import { redisDatasourceLogin } from '../src/grafana.ts';
import { type Dict, dict, list, str } from '../src/json.ts';

/**
 * deploy/redis/users.acl against the rest of the stack, without a Docker engine: every service's REDIS_URL names
 * a user of the file with the password whose hash the file holds, and no user is given more than its share.
 * What the rules allow and refuse on a real Redis is apps/launcher/src/acl.e2e.spec.ts's job.
 */
const ACL_FILE = 'deploy/redis/users.acl';
const OWN_USER = {
  'customer-intake': 'REDIS_INTAKE_PASSWORD',
  'order-generation': 'REDIS_ORDER_GENERATION_PASSWORD',
  'fulfilment-auditing': 'REDIS_FULFILMENT_AUDITING_PASSWORD',
  'metrics-export': 'REDIS_METRICS_EXPORT_PASSWORD',
};

let deployment: Deployment;
let users: Map<string, string[]>;
beforeAll(() => {
  deployment = loadDeployment();
  users = new Map(
    deployment.ws
      .read(ACL_FILE)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [keyword, name, ...rules] = line.trim().split(/\s+/);
        expect(keyword).toBe('user');
        return [name as string, rules];
      }),
  );
});

const redisDatasource = (datasources: Dict) =>
  list(datasources['datasources'])
    .map(dict)
    .find((datasource) => datasource['uid'] === 'redis') ?? {};
const grafanaLogin = (datasources: Dict) =>
  redisDatasourceLogin(redisDatasource(datasources), service(deployment, 'grafana'));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hashOf = (user: string) =>
  users
    .get(user)
    ?.find((rule) => rule.startsWith('#'))
    ?.slice(1);

describe('deploy/redis/users.acl', () => {
  it('connects every service as its own user, with the password deploy/.env holds and the file hashes', () => {
    for (const [name, variable] of Object.entries(OWN_USER)) {
      const url = new URL(str(dict(service(deployment, name)['environment'])['REDIS_URL']) ?? '');
      expect([name, url.username]).toEqual([name, name]);
      const password = decodeURIComponent(url.password);
      expect(password).toBe(deployment.stack.env[variable]);
      expect([name, hashOf(name)]).toEqual([name, sha256(password)]);
    }
  });

  it('gives customer-intake’s operator endpoints the operator user', () => {
    const url = new URL(str(dict(service(deployment, 'customer-intake')['environment'])['ADMIN_REDIS_URL']) ?? '');
    expect(url.username).toBe('operator');
    expect(hashOf('operator')).toBe(sha256(decodeURIComponent(url.password)));
  });

  it('logs Grafana’s Redis datasource in as grafana, with the password deploy/.env holds and the file hashes', () => {
    const login = grafanaLogin(deployment.datasources);
    expect(login.problems).toEqual([]);
    expect(login.user).toBe('grafana');
    expect(login.password).toBe(deployment.stack.env['REDIS_GRAFANA_PASSWORD']);
    expect(hashOf('grafana')).toBe(sha256(login.password ?? ''));
  });

  it('reports a Redis datasource that logs in as default, or with a password the grafana service does not get', () => {
    const datasources = structuredClone(deployment.datasources);
    const redis = redisDatasource(datasources);
    dict(redis['secureJsonData'])['password'] = '$REDIS_OPERATOR_PASSWORD';
    expect(grafanaLogin(datasources)).toMatchObject({ password: undefined });
    expect(grafanaLogin(datasources).problems.join('\n')).toMatch(/does not set REDIS_OPERATOR_PASSWORD /);
    dict(redis['secureJsonData'])['password'] = 'hunter2';
    expect(grafanaLogin(datasources).problems.join('\n')).toMatch(/written in the file/);
    delete dict(redis['jsonData'])['user'];
    delete dict(redis['jsonData'])['acl'];
    expect(grafanaLogin(datasources).problems.join('\n')).toMatch(/jsonData.acl must be true[^]*no jsonData.user/);
  });

  it('has a password in deploy/.env for every user but default, and stores only hashes', () => {
    const named = [...users.keys()].filter((user) => user !== 'default');
    expect(named.sort()).toEqual([...Object.keys(OWN_USER), 'grafana', 'operator'].sort());
    for (const user of named) {
      const variable = `REDIS_${user.replace('customer-', '').replaceAll('-', '_').toUpperCase()}_PASSWORD`;
      expect([user, hashOf(user)]).toEqual([user, sha256(deployment.stack.env[variable] ?? '')]);
      expect(users.get(user)?.some((rule) => rule.startsWith('>') || rule === 'nopass')).toBe(false);
    }
  });

  it('lets anyone without a password PING and nothing else (the health check)', () => {
    expect(users.get('default')).toEqual(['on', 'nopass', 'resetkeys', 'resetchannels', '-@all', '+ping']);
    expect(dict(service(deployment, 'redis')['healthcheck'])['test']).toEqual([
      'CMD-SHELL',
      'redis-cli ping | grep -q PONG',
    ]);
  });

  it('gives no user every command, every key or the server’s dangerous commands', () => {
    for (const [user, rules] of users) {
      expect([user, rules[rules.indexOf('resetkeys') + 2]]).toEqual([user, '-@all']);
      for (const rule of rules) {
        expect([user, rule]).toEqual([
          user,
          expect.not.stringMatching(
            /^(\+@all|allcommands|allkeys|~\*|\+@dangerous|\+@admin|\+flushall|\+config|\+keys)$/,
          ),
        ]);
        // Every key pattern is one of the sales' keys, or the registry of sales (SALE_REGISTRY_KEY).
        if (/^\(?%?[RW]*~/.test(rule))
          expect([user, rule]).toEqual([user, expect.stringMatching(/~(\{sale:\*\}|popup:sales\)?$)/)]);
      }
    }
  });
});
