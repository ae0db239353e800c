import type { ProjectGraph } from '@nx/devkit';
import { DCLinter } from 'dclint';
import { checkReferences, dockerfileOf, loadStack, parseYaml, schemaValidator, services, type Stack } from './compose.ts';
import {
  command,
  type Dockerfile,
  exposedPorts,
  externalBases,
  finalStage,
  healthcheck,
  isRoot,
  parseDockerfile,
  runtimeUser,
  textBeforeRuntime,
  unpinned,
} from './dockerfile.ts';
import { checkDashboardProvisioning, checkDatasources } from './grafana.ts';
import { type Dict, dict, str } from './json.ts';
import { checkContextKeepsProjects, checkDockerfileAgainstNx, checkGeneratesPackageJson, projectGraph } from './nx.ts';
import {
  checkAddresses,
  checkCollector,
  checkListeners,
  collectorAddresses,
  collectorListeners,
  composeAddresses,
  grafanaAddresses,
  prometheusTargets,
  tempoAddresses,
  tempoListeners,
} from './observability.ts';
import { checkRedis, parseRedisConf } from './redis.ts';
import {
  COLLECTOR_CONFIG,
  DASHBOARD_PROVIDERS,
  DATASOURCES,
  PROMETHEUS_CONFIG,
  REDIS_CONFIG,
  SERVICE_APPS,
  TEMPO_CONFIG,
  Workspace,
} from './workspace.ts';

/** Everything the deployment consists of, read and parsed once. */
export interface Deployment {
  ws: Workspace;
  stack: Stack;
  /** deploy/docker/<app>.Dockerfile by app. */
  dockerfiles: Map<string, Dockerfile>;
  collector: Dict;
  prometheus: Dict;
  tempo: Dict;
  datasources: Dict;
  providers: Dict;
  redisConf: Map<string, string>;
}

export function dockerfilePath(app: string): string {
  return `deploy/docker/${app}.Dockerfile`;
}

export function loadDeployment(ws: Workspace = new Workspace()): Deployment {
  const yaml = (path: string) => parseYaml(ws.read(path), path);
  return {
    ws,
    stack: loadStack(ws),
    dockerfiles: new Map(SERVICE_APPS.map((app) => [app, parseDockerfile(ws, dockerfilePath(app))])),
    collector: yaml(COLLECTOR_CONFIG),
    prometheus: yaml(PROMETHEUS_CONFIG),
    tempo: yaml(TEMPO_CONFIG),
    datasources: yaml(DATASOURCES),
    providers: yaml(DASHBOARD_PROVIDERS),
    redisConf: parseRedisConf(ws.read(REDIS_CONFIG)),
  };
}

export function service(deployment: Deployment, name: string): Dict {
  return dict(dict(deployment.stack.model['services'])[name]);
}

/** The Dockerfile a compose service is built from, parsed (undefined for services that pull an image). */
export function dockerfileOfService(deployment: Deployment, name: string): Dockerfile | undefined {
  const path = dockerfileOf(service(deployment, name));
  if (!path) return undefined;
  return [...deployment.dockerfiles.values()].find((dockerfile) => dockerfile.path === path) ?? parseDockerfile(deployment.ws, path);
}

export function imageExposes(deployment: Deployment): (service: string) => string[] {
  return (name) => {
    const dockerfile = dockerfileOfService(deployment, name);
    return dockerfile ? exposedPorts(dockerfile) : [];
  };
}

// The checks, by group; each returns its problems (none = passes).

export function composeSchemaProblems(deployment: Deployment): string[] {
  const validate = schemaValidator(deployment.ws);
  return [
    ...deployment.stack.files.flatMap((file) => validate(file.model).map((problem) => `${file.path}: ${problem}`)),
    ...validate(deployment.stack.model).map((problem) => `merged: ${problem}`),
    ...deployment.stack.missing.map((name) => `\${${name}} has no value in deploy/.env and no default`),
  ];
}

export function composeReferenceProblems(deployment: Deployment): string[] {
  return checkReferences(deployment.ws, deployment.stack.model, {
    imageHasHealthcheck: (name) => {
      const dockerfile = dockerfileOfService(deployment, name);
      return dockerfile !== undefined && healthcheck(dockerfile) !== undefined;
    },
  });
}

/** dclint's correctness and security rules; its style rules (ordering) are off, and image tags are checked after interpolation instead. */
export function composeLintProblems(deployment: Deployment): string[] {
  const off = [
    'no-build-and-image',
    'service-image-require-explicit-tag',
    'service-dependencies-alphabetical-order',
    'service-keys-order',
    'service-ports-alphabetical-order',
    'services-alphabetical-order',
    'top-level-properties-order',
  ];
  const on = [
    'no-duplicate-container-names',
    'no-duplicate-exported-ports',
    'no-quotes-in-volumes',
    'no-unbound-port-interfaces',
    'no-version-field',
    'service-container-name-regex',
  ];
  return deployment.stack.files.flatMap((file, index) => {
    const rules = Object.fromEntries([
      ...off.map((rule) => [rule, 0]),
      ...on.map((rule) => [rule, 2]),
      ['require-quotes-in-ports', [2, { quoteType: 'double' }]],
      // The core file names the project; an overlay must not.
      ['require-project-name-field', index === 0 ? 2 : 0],
    ]) as Record<string, 0 | 2 | [2, Record<string, unknown>]>;
    const linter = new DCLinter({ rules, quiet: false, debug: false, exclude: [] });
    return linter
      .lintFiles([deployment.ws.path(file.path)], false)
      .flatMap((result) => result.messages.map((message) => `${file.path}:${message.line}: ${message.rule}: ${message.message}`));
  });
}

/** Images the stack pulls (not the ones it builds) are pinned to exact versions. */
export function pulledImageProblems(deployment: Deployment): string[] {
  return services(deployment.stack.model).flatMap(([name, spec]) => {
    if (spec['build'] !== undefined) return [];
    const problem = unpinned(str(spec['image']) ?? '');
    return problem ? [`services.${name}.image: ${problem}`] : [];
  });
}

export function dockerfileProblems(deployment: Deployment): string[] {
  const problems: string[] = [];
  const env = deployment.stack.env;
  const ignores = new Map<string, string>();
  for (const [app, dockerfile] of deployment.dockerfiles) {
    const at = dockerfile.path;
    problems.push(...dockerfile.diagnostics);
    if (dockerfile.stages.length < 2) problems.push(`${at}: not multi-stage`);
    for (const stage of externalBases(dockerfile)) {
      const problem = unpinned(stage.image);
      if (problem) problems.push(`${at}: FROM ${problem}`);
    }
    const runtime = finalStage(dockerfile);
    if (!/-slim$|^gcr\.io\/distroless\//.test(runtime.image)) problems.push(`${at}: the runtime stage is not slim (${runtime.image})`);
    if (isRoot(runtimeUser(dockerfile))) problems.push(`${at}: the runtime runs as root (no USER, or USER root/0)`);
    const cmd = command(dockerfile);
    if (!cmd || cmd[0] !== 'node' || cmd[1] !== 'main.js') problems.push(`${at}: CMD is not ["node", "main.js"] in exec form`);
    if (exposedPorts(dockerfile).length > 0 && !healthcheck(dockerfile))
      problems.push(`${at}: exposes ${exposedPorts(dockerfile).join(', ')} but has no HEALTHCHECK`);
    for (const [name, value] of Object.entries(dockerfile.args)) {
      if (name in env && env[name] !== value) problems.push(`${at}: ARG ${name}=${value ?? ''}, but deploy/.env says ${env[name]}`);
    }
    const built = services(deployment.stack.model).filter(([, spec]) => dockerfileOf(spec) === at);
    if (built.length === 0) problems.push(`${at}: no compose service builds it`);
    // Another service may build the same image (the demo runs the crowd's), never a different one.
    const appImage = built.find(([name]) => name === app)?.[1]['image'];
    for (const [name, spec] of built) {
      if (name !== app && spec['image'] !== appImage)
        problems.push(`${at}: built by compose service ${name}, expected ${app}`);
      for (const arg of Object.keys(dict(dict(spec['build'])['args'])))
        if (!(arg in dockerfile.args)) problems.push(`services.${name}.build.args.${arg}: the Dockerfile declares no ARG ${arg} before FROM`);
    }
    const ignore = `${at}.dockerignore`;
    if (!deployment.ws.isFile(ignore)) problems.push(`${ignore}: missing`);
    else {
      const text = deployment.ws.read(ignore);
      ignores.set(ignore, text);
      const lines = new Set(text.split(/\r?\n/).map((line) => line.trim()));
      for (const needed of ['.git', '**/node_modules', 'dist', '.nx'])
        if (!lines.has(needed)) problems.push(`${ignore}: does not exclude ${needed}`);
    }
  }
  if (new Set(ignores.values()).size > 1) problems.push(`the *.Dockerfile.dockerignore files differ: ${[...ignores.keys()].join(', ')}`);
  problems.push(...sharedBuildProblems([...deployment.dockerfiles.values()]));
  return problems;
}

/**
 * Everything before the runtime stage is the same text in every Dockerfile: the engine's layer cache then builds it
 * once for all the images. A difference would not break an image, only make every build run it again.
 */
export function sharedBuildProblems(dockerfiles: Dockerfile[]): string[] {
  const [first, ...others] = dockerfiles;
  if (!first) return [];
  const expected = textBeforeRuntime(first).split('\n');
  return others.flatMap((dockerfile) => {
    const lines = textBeforeRuntime(dockerfile).split('\n');
    const at = lines.findIndex((line, index) => line !== expected[index]);
    const differs = at >= 0 ? at : lines.length !== expected.length ? Math.min(lines.length, expected.length) : -1;
    return differs < 0
      ? []
      : [
          `${dockerfile.path}:${dockerfile.firstLine + differs}: the stages before the runtime differ from ${first.path}'s ` +
            `(line ${first.firstLine + differs}), so its build shares no layer with the other images`,
        ];
  });
}

export async function nxProblems(deployment: Deployment, graph?: ProjectGraph): Promise<string[]> {
  const resolved = graph ?? (await projectGraph());
  return [...deployment.dockerfiles].flatMap(([app, dockerfile]) => {
    const ignoreFile = `${dockerfile.path}.dockerignore`;
    return [
      ...checkDockerfileAgainstNx(dockerfile, resolved, app),
      ...checkGeneratesPackageJson(deployment.ws, resolved, app),
      ...(deployment.ws.isFile(ignoreFile) ? checkContextKeepsProjects(ignoreFile, deployment.ws.read(ignoreFile), resolved) : []),
    ];
  });
}

/** The Node version of the images is the one the repository pins (package.json's `node` devDependency). */
export function nodeVersionProblems(deployment: Deployment): string[] {
  const packageJson = JSON.parse(deployment.ws.read('package.json')) as { devDependencies?: Record<string, string> };
  const pinned = packageJson.devDependencies?.['node'];
  const used = deployment.stack.env['NODE_VERSION'];
  return pinned === used ? [] : [`deploy/.env NODE_VERSION=${used}, but package.json pins node ${pinned}`];
}

export function collectorProblems(deployment: Deployment): string[] {
  return checkCollector(deployment.collector).map((problem) => `${COLLECTOR_CONFIG}: ${problem}`);
}

/** Every address between containers, and every listener, matches a compose service and a port it declares. */
export function wiringProblems(deployment: Deployment): string[] {
  const { model } = deployment.stack;
  const exposes = imageExposes(deployment);
  return [
    ...checkAddresses(
      model,
      [
        ...composeAddresses(model),
        ...collectorAddresses(deployment.collector, COLLECTOR_CONFIG),
        ...prometheusTargets(deployment.prometheus, PROMETHEUS_CONFIG),
        ...tempoAddresses(deployment.tempo, TEMPO_CONFIG),
        ...grafanaAddresses(deployment.datasources, DATASOURCES),
      ],
      exposes,
    ),
    ...checkListeners(model, 'otel-collector', collectorListeners(deployment.collector, COLLECTOR_CONFIG), exposes),
    ...checkListeners(model, 'tempo', tempoListeners(deployment.tempo, TEMPO_CONFIG), exposes),
  ];
}

export function grafanaProblems(deployment: Deployment): string[] {
  const grafana = service(deployment, 'grafana');
  return [
    ...checkDatasources(deployment.datasources, grafana).map((problem) => `${DATASOURCES}: ${problem}`),
    ...checkDashboardProvisioning(deployment.providers, grafana).map((problem) => `${DASHBOARD_PROVIDERS}: ${problem}`),
  ];
}

export function redisProblems(deployment: Deployment): string[] {
  return checkRedis(deployment.ws, service(deployment, 'redis'), deployment.redisConf, REDIS_CONFIG);
}

/** Every check, by name, for the validate script. */
export const CHECKS: Record<string, (deployment: Deployment) => string[] | Promise<string[]>> = {
  'compose files match the Compose Specification schema': composeSchemaProblems,
  'what the compose files name exists': composeReferenceProblems,
  'compose files pass dclint': composeLintProblems,
  'pulled images are pinned': pulledImageProblems,
  'Dockerfiles: multi-stage, pinned, non-root, in step with deploy/.env': dockerfileProblems,
  'Dockerfiles build what Nx builds': (deployment) => nxProblems(deployment),
  'images run the Node version package.json pins': nodeVersionProblems,
  'collector pipelines': collectorProblems,
  'containers reach each other at declared ports': wiringProblems,
  'Grafana datasources and dashboard provisioning': grafanaProblems,
  'Redis: 8.x, AOF, health check, named volume': redisProblems,
};
