import { createProjectGraphAsync, type ProjectGraph, type TargetConfiguration } from '@nx/devkit';
import { posix } from 'node:path';
import { copiesFrom, type Dockerfile, nxInvocations, stageByName, steps } from './dockerfile.ts';
import type { Workspace } from './workspace.ts';

/** The workspace's project graph as Nx computes it, inferred targets (webpack, jest, eslint) included. */
export function projectGraph(): Promise<ProjectGraph> {
  return createProjectGraphAsync({ exitOnError: false });
}

function resolveOutput(output: string, root: string, target: TargetConfiguration): string {
  const options = (target.options ?? {}) as Record<string, unknown>;
  const resolved = output
    .replace('{workspaceRoot}', '.')
    .replace('{projectRoot}', root)
    .replace(/\{options\.([A-Za-z0-9_]+)\}/g, (_, name: string) => String(options[name] ?? `{options.${name}}`));
  return posix.normalize(resolved.replace(/^\.\//, ''));
}

/** The targets `nx run project:target` runs in the project itself (its dependsOn, followed), with their outputs. */
export function targetClosure(graph: ProjectGraph, project: string, target: string): Map<string, string[]> {
  const node = graph.nodes[project];
  const closure = new Map<string, string[]>();
  const visit = (name: string) => {
    const config = node?.data.targets?.[name];
    if (!config || closure.has(name)) return;
    closure.set(name, (config.outputs ?? []).map((output) => resolveOutput(output, node.data.root, config)));
    for (const dependency of config.dependsOn ?? []) {
      if (typeof dependency === 'string') {
        if (!dependency.startsWith('^')) visit(dependency);
      } else if (dependency.target && !dependency.dependencies && (!dependency.projects || dependency.projects === 'self')) {
        visit(dependency.target);
      }
    }
  };
  visit(target);
  return closure;
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/**
 * A Dockerfile's build steps against the Nx project graph: every `nx` invocation names an application and a
 * target (and configuration) that exist, and every path a later stage copies out of the build stage is one
 * those targets write (their `outputs`) for `app`, the application the Dockerfile is for. The build stage may
 * build other apps too (the six Dockerfiles share one that builds them all); the image takes only its own.
 */
export function checkDockerfileAgainstNx(dockerfile: Dockerfile, graph: ProjectGraph, app: string): string[] {
  const problems: string[] = [];
  const at = dockerfile.path;
  const outputs = new Map<string, string[]>(); // build stage name -> outputs of what it ran
  const invoked = new Set<string>();

  for (const stage of dockerfile.stages) {
    const stageOutputs: string[] = [];
    for (const call of nxInvocations(stage)) {
      const node = graph.nodes[call.project];
      invoked.add(call.project);
      if (!node) {
        problems.push(`${at}:${call.line}: nx project ${call.project} does not exist`);
        continue;
      }
      if (node.type !== 'app') problems.push(`${at}:${call.line}: ${call.project} is not an application`);
      const target = node.data.targets?.[call.target];
      if (!target) {
        problems.push(`${at}:${call.line}: ${call.project} has no target ${call.target}`);
        continue;
      }
      if (call.configuration && !(call.configuration in (target.configurations ?? {})))
        problems.push(`${at}:${call.line}: ${call.project}:${call.target} has no configuration ${call.configuration}`);
      for (const paths of targetClosure(graph, call.project, call.target).values()) stageOutputs.push(...paths);
    }
    if (stageOutputs.length > 0) outputs.set(stage.name ?? String(stage.index), stageOutputs);
  }

  if (invoked.size === 0) problems.push(`${at}: no stage runs nx (nx build ${app} or nx run-many -t build -p ${app} ...)`);
  else if (!invoked.has(app)) problems.push(`${at}: never builds ${app}, the app the file is for`);

  for (const copy of copiesFrom(dockerfile)) {
    const produced = outputs.get(copy.from);
    const source = stageByName(dockerfile, copy.from);
    if (!source || !produced) continue; // copies between stages that do not run nx (e.g. the installed deps)
    const root = steps(source, 'WORKDIR').pop()?.workdir ?? '/';
    for (const from of copy.sources) {
      const relative = posix.relative(root, posix.resolve(root, from));
      if (relative.startsWith('..')) {
        problems.push(`${at}:${copy.step.line}: copies ${from}, outside the build stage's workspace ${root}`);
      } else if (!produced.some((output) => within(relative, output))) {
        problems.push(`${at}:${copy.step.line}: copies ${relative}, which no nx target it ran outputs (${produced.join(', ')})`);
      } else if (!within(relative, `dist/apps/${app}`)) {
        problems.push(`${at}:${copy.step.line}: copies ${relative}, not ${app}'s build output`);
      }
    }
  }
  return problems;
}

/**
 * `npm ci` in the runtime needs the package.json and package-lock.json that @nx/webpack writes beside the
 * bundle: tools/node-app.webpack.cjs has it write them unless the app's webpack config says
 * `generatePackageJson: false`.
 */
export function checkGeneratesPackageJson(ws: Workspace, graph: ProjectGraph, app: string): string[] {
  const root = graph.nodes[app]?.data.root;
  if (!root) return [`${app}: not an Nx project`];
  const config = `${root}/webpack.config.js`;
  if (!ws.isFile(config)) return [`${app}: no ${config}, so nothing writes dist's package.json and package-lock.json`];
  const text = ws.read(config);
  if (!text.includes('tools/node-app.webpack.cjs')) return [`${config}: not built by tools/node-app.webpack.cjs`];
  return /generatePackageJson:\s*false/.test(text)
    ? [`${config}: needs dist's package.json (the image installs from the package-lock.json it writes)`]
    : [];
}

/** Whether a .dockerignore line (plain paths and `**\/name` only) leaves out `path`. */
export function ignores(pattern: string, path: string): boolean {
  const segments = path.split('/');
  if (pattern.startsWith('**/')) return segments.includes(pattern.slice(3));
  return path === pattern || path.startsWith(`${pattern}/`);
}

/** The build context keeps every Nx project, or Nx in the build stage would see another project graph. */
export function checkContextKeepsProjects(ignoreFile: string, text: string, graph: ProjectGraph): string[] {
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return Object.values(graph.nodes).flatMap((node) => {
    const pattern = patterns.find((candidate) => ignores(candidate, node.data.root));
    return pattern ? [`${ignoreFile}: ${pattern} leaves Nx project ${node.name} (${node.data.root}) out of the build context`] : [];
  });
}
