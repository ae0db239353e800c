import type { ProjectGraph } from '@nx/devkit';
import {
  type Deployment,
  dockerfilePath,
  dockerfileProblems,
  loadDeployment,
  nodeVersionProblems,
  nxProblems,
  sharedBuildProblems,
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
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
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

  it('share one build stage, the same text in each, so that the layer cache builds it once for all six', () => {
    expect(sharedBuildProblems([...deployment.dockerfiles.values()])).toEqual([]);
    // One changed line in one file: reported at that line, in both files.
    const changed = text('metrics-export').replace('npm ci --no-audit --no-fund', 'npm ci --no-fund');
    const lineOf = (app: string) =>
      text(app)
        .split('\n')
        .findIndex((candidate) => candidate.includes('npm ci --no-audit')) + 1;
    const dockerfiles = [
      deployment.dockerfiles.get('crowd'),
      parseDockerfileText(changed, dockerfilePath('metrics-export')),
    ];
    expect(sharedBuildProblems(dockerfiles.filter((dockerfile) => dockerfile !== undefined))).toEqual([
      `${dockerfilePath('metrics-export')}:${lineOf('metrics-export')}: the stages before the runtime differ from ${dockerfilePath('crowd')}'s (line ${lineOf('crowd')}), so its build shares no layer with the other images`,
    ]);
    // A stage more before the runtime in one of them is a difference too.
    const longer = text('crowd').replace('\n# 2. runtime', 'FROM build AS extra\nRUN true\n\n# 2. runtime');
    expect(
      sharedBuildProblems(
        [deployment.dockerfiles.get('crowd'), parseDockerfileText(longer, 'longer.Dockerfile')].filter(
          (d) => d !== undefined,
        ),
      ),
    ).toHaveLength(1);
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
  it('build every service app, and only apps, with targets that exist, in the build stage', () => {
    for (const app of SERVICE_APPS) {
      const dockerfile = deployment.dockerfiles.get(app);
      if (!dockerfile) throw new Error(app);
      const calls = dockerfile.stages.flatMap(nxInvocations);
      expect(
        calls
          .filter(({ target }) => target === 'build')
          .map(({ project }) => project)
          .sort(),
      ).toEqual([...SERVICE_APPS].sort());
      for (const { project, target } of calls) {
        expect(graph.nodes[project]?.type).toBe('app');
        expect(graph.nodes[project]?.data.targets?.[target]).toBeDefined();
      }
      expect(checkDockerfileAgainstNx(dockerfile, graph, app)).toEqual([]);
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
      text('crowd').replace('-p customer-intake', '-p no-such-app customer-intake'),
      dockerfilePath('crowd'),
    );
    expect(checkDockerfileAgainstNx(wrongApp, graph, 'crowd').join('\n')).toMatch(
      /nx project no-such-app does not exist/,
    );

    const wrongTarget = parseDockerfileText(
      text('crowd').replace('run-many -t build', 'run-many -t package'),
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

    const withoutApp = parseDockerfileText(
      text('crowd').replace(' identity-dev crowd ', ' identity-dev '),
      dockerfilePath('crowd'),
    );
    const withoutProblems = checkDockerfileAgainstNx(withoutApp, graph, 'crowd').join('\n');
    expect(withoutProblems).toMatch(/never builds crowd, the app the file is for/);
    expect(withoutProblems).toMatch(/copies dist\/apps\/crowd, which no nx target it ran outputs/);

    const otherApp = parseDockerfileText(
      text('crowd').replace(
        'COPY --from=build /repo/dist/apps/crowd/',
        'COPY --from=build /repo/dist/apps/customer-intake/',
      ),
      dockerfilePath('crowd'),
    );
    expect(checkDockerfileAgainstNx(otherApp, graph, 'crowd').join('\n')).toMatch(
      /copies dist\/apps\/customer-intake, not crowd's build output/,
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

  it('reads nx run-many with its lists spaced, comma-separated or after =', () => {
    const dockerfile = parseDockerfileText(
      [
        'FROM node:24.21.0 AS build',
        'RUN npx nx run-many -t build lint -p crowd,identity-dev --parallel 2',
        'RUN npx nx run-many --projects=crowd --targets=build,test --configuration=production metrics-export',
      ].join('\n'),
      'x.Dockerfile',
    );
    expect(
      nxInvocations(dockerfile.stages[0]).map(({ project, target, configuration }) => [project, target, configuration]),
    ).toEqual([
      ['crowd', 'build', undefined],
      ['crowd', 'lint', undefined],
      ['identity-dev', 'build', undefined],
      ['identity-dev', 'lint', undefined],
      ['crowd', 'build', 'production'],
      ['crowd', 'test', 'production'],
    ]);
  });
});
