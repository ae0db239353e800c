import type { ProjectGraph } from '@nx/devkit';
import {
  type Deployment,
  dockerfilePath,
  dockerfileProblems,
  loadDeployment,
  nodeVersionProblems,
  nxProblems,
} from '../src/checks.ts';
import {
  command,
  copiesFrom,
  exposedPorts,
  finalStage,
  healthcheck,
  nxInvocations,
  parseDockerfileText,
  runtimeUser,
  stageByName,
  unpinned,
} from '../src/dockerfile.ts';
import {
  checkContextKeepsProjects,
  checkDockerfileAgainstNx,
  ignores,
  projectGraph,
  targetClosure,
} from '../src/nx.ts';
import { SERVICE_APPS } from '../src/workspace.ts';

let deployment: Deployment;
let graph: ProjectGraph;
beforeAll(async () => {
  deployment = loadDeployment();
  graph = await projectGraph();
}, 60_000);

const text = (app: string) => deployment.ws.read(dockerfilePath(app));

describe('the Dockerfiles', () => {
  it('are one per service, multi-stage, pinned, slim and non-root at runtime, in step with deploy/.env', () => {
    expect([...deployment.dockerfiles.keys()].sort()).toEqual([...SERVICE_APPS].sort());
    expect(dockerfileProblems(deployment)).toEqual([]);
  });

  it.each(SERVICE_APPS)('%s: builds on node, runs slim node as the node user with CMD node main.js', (app) => {
    const dockerfile = deployment.dockerfiles.get(app);
    if (!dockerfile) throw new Error(app);
    expect(dockerfile.diagnostics).toEqual([]);
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(['build', 'deps', 'runtime']);
    expect(stageByName(dockerfile, 'build')?.image).toBe(`node:${deployment.stack.env['NODE_VERSION']}-bookworm`);
    expect(finalStage(dockerfile).image).toBe(`node:${deployment.stack.env['NODE_VERSION']}-bookworm-slim`);
    expect(runtimeUser(dockerfile)).toBe('node');
    expect(command(dockerfile)).toEqual(['node', 'main.js']);
  });

  it('health-check the HTTP services on their endpoints', () => {
    const intake = deployment.dockerfiles.get('customer-intake');
    const metrics = deployment.dockerfiles.get('metrics-export');
    if (!intake || !metrics) throw new Error('missing');
    expect(exposedPorts(intake)).toEqual(['3000']);
    expect(healthcheck(intake)?.content).toMatch(/\/health\/ready/);
    expect(exposedPorts(metrics)).toEqual(['9464']);
    expect(healthcheck(metrics)?.content).toMatch(/:9464\/metrics/);
  });

  it('use the Node version package.json pins', () => {
    expect(nodeVersionProblems(deployment)).toEqual([]);
  });

  it('report an image that runs as root, a moving base image and a CMD in shell form', () => {
    const bad = text('order-generation')
      .replace('USER node\n', '')
      .replace(/^ARG NODE_VERSION=.*$/m, 'ARG NODE_VERSION=24')
      .replace('CMD ["node", "main.js"]', 'CMD node main.js');
    const dockerfile = parseDockerfileText(bad, dockerfilePath('order-generation'));
    expect(runtimeUser(dockerfile)).toBeUndefined();
    expect(command(dockerfile)).toBeUndefined();
    const problems = dockerfileProblems({
      ...deployment,
      dockerfiles: new Map([['order-generation', dockerfile]]),
    }).join('\n');
    expect(problems).toMatch(/runs as root/);
    expect(problems).toMatch(/tag 24-bookworm is not an exact version/);
    expect(problems).toMatch(/ARG NODE_VERSION=24, but deploy\/\.env says 24\.21\.0/);
    expect(problems).toMatch(/CMD is not \["node", "main\.js"\]/);
  });
});

describe('pinning', () => {
  it.each([
    ['node', /no tag/],
    ['node:latest', /moving tag/],
    ['node:24-bookworm-slim', /not an exact version/],
    ['grafana/grafana:main', /not an exact version/],
    ['node:${NODE_VERSION}', /variable without a default/],
  ])('rejects %s', (image, why) => {
    expect(unpinned(image)).toMatch(why);
  });

  it.each(['node:24.21.0-bookworm-slim', 'prom/prometheus:v3.13.1', `redis@sha256:${'a'.repeat(64)}`])(
    'accepts %s',
    (image) => {
      expect(unpinned(image)).toBeUndefined();
    },
  );
});

describe('the Dockerfiles against the Nx targets', () => {
  it('run `nx build <app>` (and other targets of that app only) for an application and target that exist', () => {
    for (const app of SERVICE_APPS) {
      const dockerfile = deployment.dockerfiles.get(app);
      if (!dockerfile) throw new Error(app);
      const calls = dockerfile.stages.flatMap(nxInvocations);
      expect(calls[0] && `${calls[0].project}:${calls[0].target}`).toBe(`${app}:build`);
      expect(calls.filter(({ project }) => project !== app)).toEqual([]);
      for (const { target } of calls) expect(graph.nodes[app]?.data.targets?.[target]).toBeDefined();
      expect(graph.nodes[app]?.type).toBe('app');
      expect(graph.nodes[app]?.data.targets?.['build']).toBeDefined();
    }
  });

  it('copy only what those targets output, and the app bundle writes the lockfile the runtime installs from', async () => {
    expect(await nxProblems(deployment, graph)).toEqual([]);
    for (const app of SERVICE_APPS) {
      expect([...targetClosure(graph, app, 'build').values()].flat()).toContain(`dist/apps/${app}`);
      const dockerfile = deployment.dockerfiles.get(app);
      if (!dockerfile) throw new Error(app);
      expect(copiesFrom(dockerfile).find((copy) => copy.from === 'build')?.sources).toEqual([
        `/repo/dist/apps/${app}/`,
      ]);
    }
  });

  it('reports an app that does not exist, a target it lacks, and a copy of something nx did not build', () => {
    const wrongApp = parseDockerfileText(
      text('crowd').replace('npx nx build crowd', 'npx nx build no-such-app'),
      dockerfilePath('crowd'),
    );
    expect(checkDockerfileAgainstNx(wrongApp, graph, 'crowd').join('\n')).toMatch(
      /nx project no-such-app does not exist/,
    );

    const wrongTarget = parseDockerfileText(
      text('crowd').replace('npx nx build crowd', 'npx nx run crowd:package'),
      dockerfilePath('crowd'),
    );
    expect(checkDockerfileAgainstNx(wrongTarget, graph, 'crowd').join('\n')).toMatch(/crowd has no target package/);

    const wrongCopy = parseDockerfileText(
      text('crowd').replace('/repo/dist/apps/crowd/', '/repo/apps/crowd/src/'),
      dockerfilePath('crowd'),
    );
    expect(checkDockerfileAgainstNx(wrongCopy, graph, 'crowd').join('\n')).toMatch(
      /copies apps\/crowd\/src, which no nx target it ran outputs/,
    );

    const otherApp = parseDockerfileText(
      text('crowd').replace('npx nx build crowd', 'npx nx build customer-intake'),
      dockerfilePath('crowd'),
    );
    expect(checkDockerfileAgainstNx(otherApp, graph, 'crowd').join('\n')).toMatch(
      /builds customer-intake, but the file is for crowd/,
    );
  });

  it('keep every Nx project in the build context, and say so when an ignore line drops one', () => {
    expect(ignores('**/node_modules', 'apps/crowd/node_modules')).toBe(true);
    expect(ignores('dist', 'apps/dist-tools')).toBe(false);
    const ignoreFile = `${dockerfilePath('crowd')}.dockerignore`;
    expect(checkContextKeepsProjects(ignoreFile, deployment.ws.read(ignoreFile), graph)).toEqual([]);
    expect(checkContextKeepsProjects(ignoreFile, '# x\napps/crowd\n', graph)).toEqual([
      `${ignoreFile}: apps/crowd leaves Nx project crowd (apps/crowd) out of the build context`,
    ]);
  });

  it('reads nx run <project>:<target>:<configuration> too', () => {
    const dockerfile = parseDockerfileText(
      'FROM node:24.21.0 AS build\nRUN npm ci && npx nx run crowd:build:development --skip-nx-cache\n',
      'x.Dockerfile',
    );
    expect(nxInvocations(dockerfile.stages[0])).toEqual([
      { project: 'crowd', target: 'build', configuration: 'development', line: 2 },
    ]);
    expect(checkDockerfileAgainstNx(dockerfile, graph, 'crowd')).toEqual([]);
  });
});
