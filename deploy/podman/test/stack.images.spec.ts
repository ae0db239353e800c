/**
 * The images and the compose stack, for real, on podman (`npm run test:images`; deploy/README.md, "Without Docker
 * Hub"): the base images made offline, every service image built from its Dockerfile by the compose tool, the core
 * stack up as compose.yaml says, a sale played by the demo profile and then by the crowd profile while a service is
 * killed with SIGKILL, every invariant checked from Redis, Prometheus answering the dashboard's PromQL, and `down`
 * leaving nothing behind. Each step's time is printed at the end (and written to $IMAGES_FIGURES when set).
 */
import { saleKeys } from '@popup-store/keys';
import { freePort } from '@popup-store/redis-process';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerfileOf, loadStack, parseYaml, services } from '../../src/compose.ts';
import { healthcheck, parseDockerfile } from '../../src/dockerfile.ts';
import { type Dict, dict, list, str } from '../../src/json.ts';
import { DATASOURCES, Workspace } from '../../src/workspace.ts';
import { background, field, inspect, labelled, sh, until } from './engine.ts';
import { drained, finalReport, saleFacts } from './sale-invariants.ts';

const ws = new Workspace();
const PODMAN_DIR = ws.path('deploy/podman');
const PROJECT = 'popup-store';
const CORE_FILE = 'deploy/compose.yaml';
const OVERLAY_FILE = 'deploy/compose.observability.yaml';
const core = loadStack(ws, [CORE_FILE]);
const env = core.env;
const serviceList = services(core.model);
/** What `up` starts: every service outside a profile. One more service in compose.yaml is one more here. */
const CORE_SERVICES = serviceList.filter(([, spec]) => !spec['profiles']).map(([name]) => name);
/** Every image built from this repository, once each (the demo runs the crowd's image), with its service. */
const BUILT = [
  ...new Map(
    serviceList.filter(([, spec]) => spec['build']).map(([name, spec]) => [str(spec['image']), name]),
  ).entries(),
];
/**
 * Built first, alone: it runs the build stage that every Dockerfile shares (started together, each build would run
 * its own), and the others find it cached and only copy their app out of it. Which image goes first does not matter.
 */
const FIRST_BUILT = str(dict(dict(core.model['services'])['crowd'])['image']);
/** A service whose crash loses work in flight: its pending entries wait RECLAIM_IDLE_MS (15 s) for a new reader. */
const KILLED = 'fulfilment-auditing';
const sale = saleKeys(env['SALE_ID']);
const adminToken = randomBytes(24).toString('hex');

/**
 * The sales: small, so the whole suite stays within minutes on two cores. The demo's crowd is one client address,
 * and intake lets MAX_CUSTOMERS_PER_ADDRESS (30) customers of one address order in a minute (more would wait out
 * their 429s): fewer than that. The crowd profile forwards an address per customer (TRUSTED_PROXIES below), goes
 * through the waiting room and sells the rest of the stock.
 */
const DEMO = { units: 1200, customers: 25, rate: 50 };
const CROWD = { customers: 1500, rate: 250, seed: 2 };
/** Admitted faster than the crowd arrives, as the dashboard e2e has it, so the line never closes before the sell-out. */
const ROOM = { on: true, admitPerSecond: 1000 };
/** The compose network's addresses (podman's 10.89.x.0/24, Docker's 172.16.0.0/12): the crowd is a trusted proxy. */
const TRUSTED_PROXIES = '10.0.0.0/8,172.16.0.0/12';

const suiteStartedAt = performance.now();
const figures: { step: string; seconds: number; detail?: string }[] = [];
async function timed<T>(step: string, work: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
  const startedAt = performance.now();
  const result = await work();
  figures.push({ step, seconds: Math.round((performance.now() - startedAt) / 100) / 10, detail: detail?.(result) });
  return result;
}

let ports: Record<string, string>;
let composeEnv: NodeJS.ProcessEnv;
/** podman-compose as deploy/podman/compose.py fixes it (interpolation as Compose does it, Docker-format builds). */
const compose = (files: readonly string[], ...args: string[]) =>
  sh(
    join(PODMAN_DIR, 'compose.py'),
    ['-p', PROJECT, ...files.flatMap((file) => ['-f', ws.path(file)]), ...args],
    composeEnv,
  );
const containerOf = (service: string) => `${PROJECT}_${service}_1`;
let redis: Redis | undefined;
let saleOpenedAt = 0;

beforeAll(async () => {
  // Free host ports: the machine may run its own Redis on 6379, or another stack.
  ports = {
    INTAKE_PORT: String(await freePort()),
    IDENTITY_PORT: String(await freePort()),
    REDIS_PORT: String(await freePort()),
    METRICS_EXPORT_PORT: String(await freePort()),
    PROMETHEUS_PORT: String(await freePort()),
  };
  composeEnv = {
    ...ports,
    ADMIN_TOKEN: adminToken,
    TRUSTED_PROXIES,
    DEMO_UNITS: String(DEMO.units),
    DEMO_CUSTOMERS: String(DEMO.customers),
    DEMO_RATE: String(DEMO.rate),
  };
  await sh(join(PODMAN_DIR, 'install-engine.sh'), []);
  // A stack left by an interrupted run would hold the names and ports.
  await tearDown();
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await tearDown();
  const total = (performance.now() - suiteStartedAt) / 1000;
  const lines = figures.map(
    ({ step, seconds, detail }) => `  ${seconds.toFixed(1).padStart(6)} s  ${step}${detail ? `: ${detail}` : ''}`,
  );
  process.stdout.write(
    `\ntest:images figures (${total.toFixed(1)} s in all, install and teardown included)\n${lines.join('\n')}\n`,
  );
  if (process.env['IMAGES_FIGURES']) writeFileSync(process.env['IMAGES_FIGURES'], JSON.stringify(figures, null, 2));
}, 120_000);

/** Whatever of the project is still there: containers (the overlay's too), volumes, the network. */
async function tearDown(): Promise<void> {
  await compose([CORE_FILE, OVERLAY_FILE], 'down', '-v', '-t', '20');
  // podman-compose 1.0.3's `down` removes containers and (with -v) volumes, never the network.
  for (const network of await labelled('network', `io.podman.compose.project=${PROJECT}`))
    await sh('podman', ['network', 'rm', network]);
}

async function operatorRedis(): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port: Number(ports['REDIS_PORT']),
    username: 'operator',
    password: env['REDIS_OPERATOR_PASSWORD'],
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined);
  await until('Redis answers the operator', 30_000, async () => ((await client.ping()) === 'PONG' ? true : undefined));
  return client;
}

async function admin(path: string, body: unknown): Promise<Dict> {
  const response = await fetch(`http://127.0.0.1:${ports['INTAKE_PORT']}/api/admin/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = dict(await response.json());
  if (!response.ok) throw new Error(`PUT /api/admin/${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Passes when the container's HEALTHCHECK (podman runs none by itself without systemd) answers healthy. */
const healthy = (container: string) =>
  until(
    `${container} healthy`,
    180_000,
    async () =>
      await sh('podman', ['healthcheck', 'run', container]).then(
        () => true,
        () => undefined,
      ),
  );

describe('base images, made offline', () => {
  it('are tagged as deploy/.env and the Dockerfiles name them, and the Node one is Docker Hub’s in what the builds use', async () => {
    await timed('base images (debootstrap, node, redis, prometheus)', () => sh(join(PODMAN_DIR, 'base-images.sh'), []));
    const node = `node:${env['NODE_VERSION']}-${env['DEBIAN_RELEASE']}`;
    for (const image of [node, `${node}-slim`, env['REDIS_IMAGE'] ?? '', env['PROMETHEUS_IMAGE'] ?? ''])
      await sh('podman', ['image', 'exists', image]);
    const probe = await sh('podman', [
      'run',
      '--rm',
      `${node}-slim`,
      'sh',
      '-c',
      'node --version; npm --version >/dev/null; id -u node; id -g node',
    ]);
    expect(probe.trim().split('\n')).toEqual([`v${env['NODE_VERSION']}`, '1000', '1000']);
  }, 600_000);
});

describe('service images, built unchanged from their Dockerfiles by the compose tool', () => {
  const built = new Map<string, Record<string, unknown>>();

  it('build: the first alone (it makes the build stage the others share), then two at a time', async () => {
    const build = async ([image, service]: (typeof BUILT)[number]) => {
      const config = await timed(
        `image ${image}`,
        async () => {
          await compose([CORE_FILE], 'build', service);
          return inspect('image', image ?? '');
        },
        (config) => `${Math.round(Number(config['Size']) / 1e6)} MB`,
      );
      built.set(image ?? '', config);
    };
    const first = BUILT.find(([image]) => image === FIRST_BUILT);
    const others = BUILT.filter((entry) => entry !== first);
    if (!first) throw new Error(`${FIRST_BUILT} is not built from compose.yaml`);
    await timed('every service image', async () => {
      await build(first);
      const queue = [...others];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await build(next);
      };
      await Promise.all([worker(), worker()]);
    });
  }, 1_800_000);

  it.each(BUILT)('%s (service %s): runs as a non-root user, with its Dockerfile’s HEALTHCHECK', (image, service) => {
    const config = built.get(image ?? '');
    expect(field(config ?? {}, 'Config.User')).toBe('node');
    // A HEALTHCHECK survives only in a Docker-format image (compose.py asks podman for one).
    const dockerfile = parseDockerfile(ws, dockerfileOf(dict(dict(core.model['services'])[service])) ?? '');
    expect(Boolean(field(config ?? {}, 'Healthcheck'))).toBe(Boolean(healthcheck(dockerfile)));
  });
});

describe('the core stack on podman', () => {
  it('comes up: every container running as compose.yaml says, non-root, read-only, its health check passing', async () => {
    await timed(`stack up (${CORE_SERVICES.join(', ')}, prometheus)`, async () => {
      await compose([CORE_FILE], 'up', '-d', ...CORE_SERVICES);
      // The overlay's Prometheus (the only part of it that runs here), on the same network.
      await compose([CORE_FILE, OVERLAY_FILE], 'up', '-d', 'prometheus');
      for (const [name, spec] of serviceList.filter(([name]) => CORE_SERVICES.includes(name)))
        if (
          spec['healthcheck'] ||
          (spec['build'] && field(await inspect('image', str(spec['image']) ?? ''), 'Healthcheck'))
        )
          await healthy(containerOf(name));
    });
    for (const [name, spec] of serviceList.filter(([name]) => CORE_SERVICES.includes(name))) {
      const container = await inspect('container', containerOf(name));
      expect([name, field(container, 'State.Status')]).toEqual([name, 'running']);
      expect([name, field(container, 'HostConfig.RestartPolicy.Name')]).toEqual([name, spec['restart']]);
      const uid = (await sh('podman', ['exec', containerOf(name), 'id', '-u'])).trim();
      expect([name, uid]).not.toEqual([name, '0']);
      if (spec['read_only']) {
        expect([name, field(container, 'HostConfig.ReadonlyRootfs')]).toEqual([name, true]);
        await expect(sh('podman', ['exec', containerOf(name), 'touch', '/probe'])).rejects.toThrow(
          /Read-only file system/,
        );
      }
    }
    redis = await operatorRedis();
  }, 300_000);

  it('serves the storefront from customer-intake at `/`: the page, and its hashed assets cached for a year', async () => {
    const intake = `http://127.0.0.1:${ports['INTAKE_PORT']}`;
    const page = await fetch(`${intake}/`);
    const html = await page.text();
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    // The page itself names the current build's assets: asked again each time.
    expect(page.headers.get('cache-control')).toBe('no-cache');
    // The sale this intake sells, written into the page as it is served.
    expect(html).toContain(`&quot;sale&quot;:&quot;${env['SALE_ID']}&quot;`);
    // Vite's names: <name>-<content hash>.<ext>, a script and a stylesheet at least.
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[\w.-]+-[\w-]{8,}\.(js|css))"/g)];
    expect(assets.map(([, , ext]) => ext).sort()).toEqual(expect.arrayContaining(['css', 'js']));
    for (const [, path, ext] of assets) {
      const asset = await fetch(`${intake}${path}`);
      const body = await asset.text();
      expect([path, asset.status, asset.headers.get('cache-control')]).toEqual([
        path,
        200,
        'public, max-age=31536000, immutable',
      ]);
      expect([path, asset.headers.get('content-type')]).toEqual([
        path,
        expect.stringMatching(ext === 'js' ? /^(text|application)\/javascript/ : /^text\/css/),
      ]);
      expect([path, body.length > 0]).toEqual([path, true]);
    }
  });

  it('plays the demo: `up` with the demo profile opens a sale and a crowd plays it', async () => {
    const summary = await timed(
      'demo sale (open + crowd)',
      async () => {
        saleOpenedAt = Date.now();
        // podman-compose 1.0.3 has no --profile: naming the service is how it starts one of a profile.
        await compose([CORE_FILE], 'up', '-d', ...CORE_SERVICES, 'demo');
        const exit = (await sh('podman', ['wait', containerOf('demo')])).trim();
        const logs = await sh('podman', ['logs', containerOf('demo')]);
        expect([exit, logs]).toEqual(['0', expect.stringContaining(`demo: sale open, ${DEMO.units} units`)]);
        return crowdSummary(logs);
      },
      (s) => `${s['acceptedCount']} orders accepted of ${s['orders']}`,
    );
    expect(summary['networkErrors']).toBe(0);
    expect(Number(summary['acceptedCount'])).toBeGreaterThan(0);
  }, 300_000);

  it(`plays the crowd profile through the waiting room into the same sale while ${KILLED} is killed with SIGKILL; restarted, every invariant holds`, async () => {
    if (!redis) throw new Error('no stack');
    const client = redis;
    const decidedBefore = await client.hlen(sale.decisions);
    // The waiting room on, so its panels (admissions, the wait estimates' error) have a sale to show too.
    await admin(`sales/${env['SALE_ID']}/room`, ROOM);
    const crowd = background(
      join(PODMAN_DIR, 'compose.py'),
      [
        '-p',
        PROJECT,
        '-f',
        ws.path(CORE_FILE),
        'run',
        '--rm',
        '--no-deps',
        'crowd',
        'node',
        'main.js',
        '--url',
        'http://customer-intake:3000',
        '--identity',
        'http://identity-dev:4000',
        '--forwarded-for',
        '--waiting-room',
        '--sale',
        env['SALE_ID'] ?? '',
        '--quiet',
        '--summary',
        '/dev/stdout',
        '--customers',
        String(CROWD.customers),
        '--rate',
        String(CROWD.rate),
        '--seed',
        String(CROWD.seed),
      ],
      composeEnv,
    );
    const killedAt = await timed(`crowd sale until ${KILLED} is killed`, async () => {
      await until('the crowd’s first decisions', 120_000, async () =>
        (await client.hlen(sale.decisions)) > decidedBefore + 50 ? true : undefined,
      );
      await killService(KILLED);
      return Date.now();
    });
    await timed(`${KILLED} restarted by its restart policy`, () =>
      until(`${KILLED} restarted`, 90_000, async () => {
        const container = await inspect('container', containerOf(KILLED));
        return Number(container['RestartCount']) >= 1 && field(container, 'State.Status') === 'running'
          ? true
          : undefined;
      }),
    );
    const output = await timed('crowd profile done', () => crowd.done);
    const tickets = acceptedTickets(output);
    expect(tickets.length).toBeGreaterThan(0);
    const facts = await timed(
      'drain, close, report, invariants',
      async () => {
        await drained(client, sale, 120_000);
        await admin('sale/state', { state: 'closed' });
        const report = await finalReport(client, sale, 60_000);
        return saleFacts(client, sale, report, tickets);
      },
      (f) =>
        `${f.sold} sold of ${f.stock}, ${f.decided} decided, ${Math.round((Date.now() - killedAt) / 1000)} s after the kill`,
    );
    expect(facts.violations).toEqual([]);
    expect(facts.sold).toBe(facts.stock);
    expect(facts.report.lost).toBe(0);
    expect(facts.report.deadLettered).toBe(0);
  }, 300_000);

  it('ran every service as its own Redis user, each allowed all it did', async () => {
    // The services compose.yaml gives a REDIS_URL (identity-dev needs no Redis).
    const redisClients = serviceList
      .filter(([name, spec]) => CORE_SERVICES.includes(name) && dict(spec['environment'])['REDIS_URL'])
      .map(([name]) => name);
    expect(redisClients.length).toBeGreaterThan(0);
    for (const name of redisClients) {
      const environment = (field(await inspect('container', containerOf(name)), 'Config.Env') as string[]) ?? [];
      const url = environment.find((entry) => entry.startsWith('REDIS_URL='))?.slice('REDIS_URL='.length);
      expect([name, new URL(url ?? 'redis://none@x').username]).toEqual([name, name]);
      // Redis's refusals (a wrong password, a command or key outside the user's rules) reach the service as errors.
      const logs = await sh('podman', ['logs', containerOf(name)]);
      expect([name, logs.match(/.*\b(NOPERM|WRONGPASS|NOAUTH)\b.*/)?.[0]]).toEqual([name, undefined]);
    }
  });

  it('has Prometheus scraping metrics-export, and answering every PromQL query of the dashboards with data', async () => {
    const prometheus = `http://127.0.0.1:${ports['PROMETHEUS_PORT']}`;
    const answered = await timed(
      'Prometheus: the dashboards’ PromQL',
      async () => {
        await until('metrics-export scraped (up == 1)', 60_000, async () =>
          (await instantQuery(prometheus, 'up{job="metrics-export"}'))[0]?.value[1] === '1' ? true : undefined,
        );
        const queries = dashboardPromQl();
        expect(queries.length).toBeGreaterThan(0);
        // Until every query has data, for a minute at most: a rate needs two scrapes (5 s apart) of a series, and
        // on a loaded machine metrics-export may record the sale's last decisions a few seconds late.
        const empty = new Set(queries);
        await until('every query answered with data', 60_000, async () => {
          for (const query of empty)
            if ((await rangeQuery(prometheus, query, saleOpenedAt)).length > 0) empty.delete(query);
          return empty.size === 0 ? true : undefined;
        }).catch(() => undefined);
        expect([...empty]).toEqual([]);
        return queries.length;
      },
      (n) => `${n} queries`,
    );
    expect(answered).toBeGreaterThan(0);
  }, 120_000);

  it('goes `down` leaving no container, network or volume', async () => {
    await timed('down -v', () => tearDown());
    const label = `io.podman.compose.project=${PROJECT}`;
    expect(await labelled('ps', label)).toEqual([]);
    expect(await labelled('volume', label)).toEqual([]);
    expect(await labelled('network', label)).toEqual([]);
  }, 120_000);
});

/** The summary the crowd prints (pretty JSON at the end of its output). */
function crowdSummary(logs: string): Dict {
  const start = logs.lastIndexOf('\n{');
  return dict(JSON.parse(logs.slice(start + 1)));
}

/**
 * The tickets of the crowd's `--summary /dev/stdout`: one line of JSON with every accepted order id, which
 * podman-compose follows with its own `exit code: 0` on the same line.
 */
function acceptedTickets(output: string): string[] {
  const line = output.split('\n').find((text) => text.startsWith('{"customers"')) ?? '';
  const summary = dict(JSON.parse(line.slice(0, line.lastIndexOf('}') + 1) || '{}'));
  return list(summary['accepted']).map(String);
}

/** SIGKILL to the service's Node process, from the host, as a crash would. */
async function killService(service: string): Promise<void> {
  const processes = await sh('podman', ['top', containerOf(service), 'hpid', 'args']);
  const node = processes.split('\n').find((line) => /\bnode main\.js/.test(line));
  const pid = node?.trim().split(/\s+/)[0];
  if (!pid) throw new Error(`no node process in ${containerOf(service)}:\n${processes}`);
  await sh('kill', ['-s', 'KILL', pid]);
}

/**
 * The PromQL of every panel of grafana/dashboards whose datasource is a provisioned Prometheus, its variables set
 * to the dashboard's defaults.
 */
function dashboardPromQl(): string[] {
  const datasources = list(parseYaml(ws.read(DATASOURCES), DATASOURCES)['datasources']).map(dict);
  const prometheusUids = new Set(datasources.filter((d) => d['type'] === 'prometheus').map((d) => str(d['uid'])));
  return readdirSync(ws.path('grafana/dashboards'))
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const dashboard = dict(JSON.parse(ws.read(`grafana/dashboards/${file}`)));
      const variables = Object.fromEntries(
        list(dict(dashboard['templating'])['list'])
          .map(dict)
          .map((variable) => [str(variable['name']) ?? '', str(dict(variable['current'])['value']) ?? '']),
      );
      const panels = list(dashboard['panels']).map(dict);
      return [...panels, ...panels.flatMap((panel) => list(panel['panels']).map(dict))].flatMap((panel) =>
        list(panel['targets'])
          .map(dict)
          .filter((target) => prometheusUids.has(str(dict(target['datasource'] ?? panel['datasource'])['uid'])))
          .map((target) => withVariables(str(target['expr']) ?? '', variables)),
      );
    });
}

/** Grafana's variables as the dashboard's defaults and its interval macros as a live panel would set them. */
function withVariables(expr: string, variables: Record<string, string>): string {
  return expr
    .replace(/\$__rate_interval/g, '20s')
    .replace(/\$__interval/g, '5s')
    .replace(/\$__range/g, '5m')
    .replace(/\$\{?(\w+)\}?/g, (whole, name: string) => variables[name] ?? whole);
}

interface Series {
  metric: Record<string, string>;
  value: [number, string];
  values?: [number, string][];
}

async function prometheusApi(url: string): Promise<Series[]> {
  const answer = dict(await (await fetch(url)).json());
  if (answer['status'] !== 'success') throw new Error(`${url}: ${JSON.stringify(answer)}`);
  return dict(answer['data'])['result'] as Series[];
}

const instantQuery = (prometheus: string, query: string) =>
  prometheusApi(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);

const rangeQuery = (prometheus: string, query: string, fromMs: number) =>
  prometheusApi(
    `${prometheus}/api/v1/query_range?query=${encodeURIComponent(query)}&start=${Math.floor(fromMs / 1000) - 10}&end=${Math.ceil(Date.now() / 1000)}&step=5`,
  );
