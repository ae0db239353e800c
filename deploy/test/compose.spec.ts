import {
  composeLintProblems,
  composeReferenceProblems,
  composeSchemaProblems,
  type Deployment,
  loadDeployment,
  pulledImageProblems,
  redisProblems,
  service,
} from '../src/checks.ts';
import {
  checkReferences,
  composeSchema,
  mergeCompose,
  parsePort,
  repoPathOf,
  schemaValidator,
  services,
} from '../src/compose.ts';
import { interpolate, InterpolationError, parseDotEnv } from '../src/env.ts';
import { type Dict, dict } from '../src/json.ts';
import { checkRedis, parseRedisConf } from '../src/redis.ts';

const NODE_SERVICES = ['customer-intake', 'order-generation', 'fulfilment-auditing', 'metrics-export'];

let deployment: Deployment;
beforeAll(() => {
  deployment = loadDeployment();
});

const clone = (model: Dict): Dict => structuredClone(model);
const noHealthchecksInImages = { imageHasHealthcheck: () => false };

describe('deploy/.env and interpolation', () => {
  it('reads KEY=VALUE lines, skipping comments, honouring quotes', () => {
    expect(parseDotEnv('# c\nA=1\n\nB="two words"\nC=x # note\n')).toEqual({ A: '1', B: 'two words', C: 'x' });
  });

  it('interpolates like Compose: defaults, required, $$', () => {
    const env = { SET: 'v', EMPTY: '' };
    expect(interpolate('${SET}-${EMPTY:-d}-${EMPTY-d}-${UNSET:-d}', env)).toBe('v-d--d');
    expect(interpolate('$$HOME ${SET:+alt} $SET', env)).toBe('$HOME alt v');
    expect(() => interpolate('${UNSET:?set in deploy/.env}', env)).toThrow(InterpolationError);
    const missing = new Set<string>();
    interpolate('${UNSET}', env, missing);
    expect([...missing]).toEqual(['UNSET']);
  });

  it('leaves no variable of the compose files without a value', () => {
    expect(deployment.stack.missing).toEqual([]);
  });
});

describe('Compose Specification schema', () => {
  it('comes from an npm package (dclint, which ships compose-spec.json)', () => {
    const { schema, source } = composeSchema(deployment.ws);
    expect(source).toMatch(/node_modules[\\/]dclint[\\/]schemas[\\/]compose\.schema\.json$/);
    expect(schema['title']).toBe('Compose Specification');
  });

  it('accepts the core file, the overlay and the two merged', () => {
    expect(composeSchemaProblems(deployment)).toEqual([]);
  });

  it('rejects what Compose would reject', () => {
    const validate = schemaValidator(deployment.ws);
    const broken = clone(deployment.stack.model);
    dict(dict(broken['services'])['redis'])['restart_policy'] = 'always';
    dict(dict(broken['services'])['grafana'])['ports'] = 3001;
    const problems = validate(broken);
    expect(problems.join('\n')).toMatch(/additional properties/);
    expect(problems.join('\n')).toMatch(/\/services\/grafana\/ports must be array/);
  });

  it('passes dclint: ports bound to an interface, quoted, no version field, one project name', () => {
    expect(composeLintProblems(deployment)).toEqual([]);
  });
});

describe('merging the overlay onto the core file', () => {
  it('merges environment and depends_on, replaces command', () => {
    const merged = mergeCompose(
      { services: { a: { environment: { A: '1' }, depends_on: ['b'], command: ['x'] } } },
      {
        services: { a: { environment: ['B=2'], depends_on: { c: { condition: 'service_started' } }, command: ['y'] } },
      },
    );
    expect(dict(merged['services'])['a']).toEqual({
      environment: { A: '1', B: '2' },
      depends_on: { b: { condition: 'service_started' }, c: { condition: 'service_started' } },
      command: ['y'],
    });
  });

  it('gives every Node service the collector address on top of its core environment', () => {
    for (const name of NODE_SERVICES) {
      const environment = dict(service(deployment, name)['environment']);
      expect(environment).toMatchObject({
        REDIS_URL: expect.stringMatching(new RegExp(`^redis://${name}:[0-9a-f]{32}@redis:6379$`)),
        SALE_ID: 'popup',
        LOG_LEVEL: 'info',
        OTEL_SERVICE_NAME: name,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      });
      expect(environment['OTEL_RESOURCE_ATTRIBUTES']).toMatch(/service\.namespace=popup-store/);
      expect(dict(service(deployment, name)['depends_on'])).toHaveProperty('redis.condition', 'service_healthy');
    }
  });

  it('keeps the core file free of the observability stack', () => {
    const core = deployment.stack.files[0].model;
    expect(Object.keys(dict(core['services'])).sort()).toEqual(['crowd', 'demo', 'identity-dev', 'redis', ...NODE_SERVICES].sort());
    expect(JSON.stringify(core)).not.toMatch(/otel-collector/);
  });
});

describe('the stack', () => {
  it('has Redis, the four services, the optional crowd, and the observability overlay', () => {
    expect(
      services(deployment.stack.model)
        .map(([name]) => name)
        .sort(),
    ).toEqual(
      ['crowd', 'demo', 'grafana', 'identity-dev', 'otel-collector', 'prometheus', 'redis', 'tempo', 'tempo-init', ...NODE_SERVICES].sort(),
    );
  });

  it('runs the crowd only with --profile crowd, against customer-intake', () => {
    const crowd = service(deployment, 'crowd');
    expect(crowd['profiles']).toEqual(['crowd']);
    expect(crowd['command']).toEqual(['node', 'main.js', '--url', 'http://customer-intake:3000', '--identity', 'http://identity-dev:4000']);
    expect(crowd['depends_on']).toHaveProperty('customer-intake.condition', 'service_healthy');
    const profiled = services(deployment.stack.model).filter(([, spec]) => spec['profiles']);
    expect(Object.fromEntries(profiled.map(([name, spec]) => [name, spec['profiles']]))).toEqual({
      crowd: ['crowd'],
      demo: ['demo'],
    });
  });

  it('opens a sale and plays the crowd with --profile demo, on the crowd image, once customer-intake is healthy', () => {
    const demo = service(deployment, 'demo');
    expect(demo['image']).toBe(service(deployment, 'crowd')['image']);
    expect(demo['build']).toEqual(service(deployment, 'crowd')['build']);
    expect(demo['depends_on']).toHaveProperty('customer-intake.condition', 'service_healthy');
    expect(demo['restart']).toBe('no');
    const script = (demo['command'] as string[]).join(' ');
    expect(script).toMatch(/^sh -c node \/demo\/open-sale\.mjs && exec node main\.js --url http:\/\/customer-intake:3000 /);
    expect(demo['volumes']).toEqual(['./demo:/demo:ro']);
    expect(deployment.ws.isFile('deploy/demo/open-sale.mjs')).toBe(true);
  });

  it('serves intake on 0.0.0.0 inside its container and publishes ports on 127.0.0.1 only, from deploy/.env', () => {
    expect(dict(service(deployment, 'customer-intake')['environment'])).toMatchObject({
      HOST: '0.0.0.0',
      PORT: '3000',
    });
    const env = deployment.stack.env;
    const published = Object.fromEntries(
      services(deployment.stack.model).flatMap(([name, spec]) =>
        ((spec['ports'] ?? []) as unknown[]).map(parsePort).map((port) => [`${name}:${port.target}`, port]),
      ),
    );
    for (const port of Object.values(published)) expect(port.hostIp).toBe('127.0.0.1');
    expect(published['customer-intake:3000'].published).toBe(env['INTAKE_PORT']);
    expect(published['grafana:3000'].published).toBe(env['GRAFANA_PORT']);
    expect(published['redis:6379'].published).toBe(env['REDIS_PORT']);
    expect(published['prometheus:9090'].published).toBe(env['PROMETHEUS_PORT']);
    expect(env['GRAFANA_PORT']).toBe('3001');
  });

  it('passes ADMIN_TOKEN from the environment of `docker compose up` to customer-intake and the demo alone, off when unset', () => {
    const raw = dict(dict(dict(deployment.stack.files[0].raw['services'])['customer-intake'])['environment']);
    expect(raw['ADMIN_TOKEN']).toBe('${ADMIN_TOKEN:-}');
    const token = 'an-operator-token-of-32-characters';
    expect(interpolate(String(raw['ADMIN_TOKEN']), { ADMIN_TOKEN: token })).toBe(token);
    // Empty is unset for the services' config (libs/config readEnv): the operator endpoints answer 403.
    expect(interpolate(String(raw['ADMIN_TOKEN']), {})).toBe('');
    // A secret of whoever operates the stack, never a committed default.
    expect(deployment.stack.env['ADMIN_TOKEN']).toBeUndefined();
    for (const [name, spec] of services(deployment.stack.model))
      if (name !== 'customer-intake' && name !== 'demo')
        expect([name, dict(spec['environment'])['ADMIN_TOKEN']]).toEqual([name, undefined]);
  });

  it('pulls only images pinned to exact versions', () => {
    expect(pulledImageProblems(deployment)).toEqual([]);
  });
});

describe('what the compose files name exists', () => {
  it('holds for the stack: services, volumes, bind-mounted files, Dockerfiles and their ignore files', () => {
    expect(composeReferenceProblems(deployment)).toEqual([]);
  });

  it('reports a dependency on no service, a missing file, an undeclared volume, a missing Dockerfile', () => {
    const model = clone(deployment.stack.model);
    const spec = dict(dict(model['services'])['order-generation']);
    spec['depends_on'] = { 'no-such-service': { condition: 'service_started' } };
    spec['volumes'] = ['./no/such/file.conf:/etc/x.conf:ro', 'undeclared:/data', './redis:/etc/redis'];
    dict(spec['build'])['dockerfile'] = 'deploy/docker/no-such.Dockerfile';
    const problems = checkReferences(deployment.ws, model, noHealthchecksInImages).join('\n');
    expect(problems).toMatch(/depends_on: no-such-service is not a service/);
    expect(problems).toMatch(/bind source deploy\/no\/such\/file\.conf does not exist/);
    expect(problems).toMatch(/named volume undeclared is not declared/);
    expect(problems).toMatch(/bind mount of deploy\/redis should be read-only/);
    expect(problems).toMatch(/deploy\/docker\/no-such\.Dockerfile does not exist/);
  });

  it('reports waiting for a healthy service that has no health check', () => {
    const problems = checkReferences(deployment.ws, deployment.stack.model, noHealthchecksInImages);
    expect(problems).toContain(
      'services.crowd.depends_on: waits for customer-intake to be healthy, but customer-intake has no health check',
    );
  });

  it('reports a host port published twice', () => {
    const model = clone(deployment.stack.model);
    dict(dict(model['services'])['prometheus'])['ports'] = ['127.0.0.1:3001:9090'];
    expect(checkReferences(deployment.ws, model, noHealthchecksInImages).join('\n')).toMatch(
      /host port 127\.0\.0\.1:3001 is also published by/,
    );
  });
});

describe('Redis', () => {
  it('is Redis 8 with AOF every second, a health check, a named volume and the mounted config', () => {
    expect(redisProblems(deployment)).toEqual([]);
    expect(dict(service(deployment, 'redis')['healthcheck'])['test']).toEqual([
      'CMD-SHELL',
      'redis-cli ping | grep -q PONG',
    ]);
  });

  it('loads deploy/redis/users.acl, mounted whole with deploy/redis/ beside redis.conf', () => {
    expect(repoPathOf(service(deployment, 'redis'), '/usr/local/etc/redis/users.acl')).toBe('deploy/redis/users.acl');
    expect(deployment.redisConf.get('aclfile')).toBe('/usr/local/etc/redis/users.acl');
  });

  it('reports a config that could lose orders, and an aclfile the repository does not provide', () => {
    const conf = parseRedisConf('appendonly no\nappendfsync everysec\naclfile /usr/local/etc/redis/missing.acl\n');
    const problems = checkRedis(deployment.ws, service(deployment, 'redis'), conf, 'deploy/redis/redis.conf').join(
      '\n',
    );
    expect(problems).toMatch(/appendonly must be yes/);
    expect(problems).toMatch(/appendfsync must be always/);
    expect(problems).toMatch(/aclfile \/usr\/local\/etc\/redis\/missing\.acl is not a file of the repository/);
  });
});
