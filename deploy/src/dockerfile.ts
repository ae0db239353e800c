import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { posix } from 'node:path';
import type { Workspace } from './workspace.ts';

export interface Step {
  keyword: string;
  line: number;
  /** The arguments as written, without the flags. */
  content: string;
  /** The arguments with ARG/ENV variables expanded, without the flags. */
  args: string[];
  flags: Record<string, string | null>;
  /** The WORKDIR in force when the step runs. */
  workdir: string;
}

export interface Stage {
  index: number;
  name?: string;
  /** The base image with variables expanded, e.g. node:24.21.0-bookworm-slim, or an earlier stage's name. */
  image: string;
  steps: Step[];
  /** The line of its FROM and the last line of its last instruction (1-based). */
  lines: { first: number; last: number };
}

export interface Dockerfile {
  path: string;
  text: string;
  /** The line of the first instruction (an ARG before FROM, or the first FROM). */
  firstLine: number;
  /** ARGs declared before the first FROM, with their defaults. */
  args: Record<string, string | undefined>;
  stages: Stage[];
  /** Syntax problems found by dockerfile-utils (the linter of the VS Code Docker extension). */
  diagnostics: string[];
}

function flagsOf(instruction: Instruction): Record<string, string | null> {
  const withFlags = instruction as Instruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  return Object.fromEntries((withFlags.getFlags?.() ?? []).map((flag) => [flag.getName(), flag.getValue()]));
}

export function parseDockerfile(ws: Workspace, path: string): Dockerfile {
  return parseDockerfileText(ws.read(path), path);
}

export function parseDockerfileText(text: string, path: string): Dockerfile {
  const parsed = DockerfileParser.parse(text);
  const args = Object.fromEntries(
    parsed.getInitialARGs().flatMap((arg) => {
      const property = arg.getProperty();
      return property ? [[property.getName(), property.getValue() ?? undefined]] : [];
    }),
  );
  const stages: Stage[] = [];
  let workdir = '/';
  for (const instruction of parsed.getInstructions()) {
    const keyword = instruction.getKeyword();
    const expanded = instruction.getExpandedArguments().map((argument) => argument.getValue());
    if (keyword === 'FROM') {
      const as = expanded.findIndex((word) => word.toUpperCase() === 'AS');
      const image = expanded.find((word, index) => !word.startsWith('--') && (as < 0 || index < as)) ?? '';
      const line = instruction.getRange().start.line + 1;
      const name = as >= 0 ? expanded[as + 1] : undefined;
      stages.push({ index: stages.length, name, image, steps: [], lines: { first: line, last: line } });
      workdir = '/';
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) continue; // ARGs before the first FROM
    stage.lines.last = instruction.getRange().end.line + 1;
    const flags = flagsOf(instruction);
    // dockerfile-ast leaves the flags (--from, --mount, --interval...) out of both.
    const content = instruction.getArgumentsContent() ?? '';
    if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, expanded[0] ?? '.');
    stage.steps.push({ keyword, line: instruction.getRange().start.line + 1, content, args: expanded, flags, workdir });
  }
  const diagnostics = validate(text).map((problem) => `${path}:${problem.range.start.line + 1}: ${problem.message}`);
  const firstLine = (parsed.getInstructions()[0]?.getRange().start.line ?? 0) + 1;
  return { path, text, firstLine, args, stages, diagnostics };
}

/** The text from the first instruction to the end of the last stage before the runtime stage, comments included. */
export function textBeforeRuntime(dockerfile: Dockerfile): string {
  const last = dockerfile.stages.at(-2)?.lines.last ?? dockerfile.firstLine - 1;
  return dockerfile.text.split('\n').slice(dockerfile.firstLine - 1, last).join('\n');
}

export function finalStage(dockerfile: Dockerfile): Stage {
  return dockerfile.stages[dockerfile.stages.length - 1];
}

export function stageByName(dockerfile: Dockerfile, name: string): Stage | undefined {
  return dockerfile.stages.find((stage) => stage.name === name || String(stage.index) === name);
}

export function steps(stage: Stage, keyword: string): Step[] {
  return stage.steps.filter((step) => step.keyword === keyword);
}

/** Stages whose base is an image from a registry, not an earlier stage. */
export function externalBases(dockerfile: Dockerfile): Stage[] {
  return dockerfile.stages.filter((stage) => !dockerfile.stages.some((other) => other.index < stage.index && other.name === stage.image));
}

const FLOATING_TAGS = new Set(['latest', 'stable', 'lts', 'current', 'edge', 'nightly', 'slim', 'alpine', 'bookworm', 'trixie']);

/** Why an image reference is not pinned to an exact version, or undefined when it is. */
export function unpinned(image: string): string | undefined {
  if (/\$\{?[A-Za-z_]/.test(image)) return `${image}: a variable without a default`;
  const [reference, digest] = image.split('@');
  const lastSegment = reference.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
  if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  if (tag === undefined) return `${image}: no tag (means latest)`;
  if (FLOATING_TAGS.has(tag)) return `${image}: ${tag} is a moving tag`;
  if (!/^v?\d+\.\d+\.\d+/.test(tag)) return `${image}: tag ${tag} is not an exact version (major.minor.patch)`;
  return undefined;
}

/** The user the final image runs as, or undefined if it never says (then it is root). */
export function runtimeUser(dockerfile: Dockerfile): string | undefined {
  return steps(finalStage(dockerfile), 'USER').pop()?.args[0];
}

export function isRoot(user: string | undefined): boolean {
  return user === undefined || /^(root|0)(:.*)?$/.test(user);
}

export interface NxInvocation {
  project: string;
  target: string;
  configuration?: string;
  line: number;
}

const RUN_MANY_LISTS: Record<string, 'targets' | 'projects'> = {
  '-t': 'targets',
  '--target': 'targets',
  '--targets': 'targets',
  '-p': 'projects',
  '--projects': 'projects',
};

/** `nx run-many -t <targets> -p <projects>`'s words after `run-many`: every project with every target. */
function runManyInvocations(words: string[], line: number, configuration?: string): NxInvocation[] {
  const lists = { targets: [] as string[], projects: [] as string[] };
  let into: string[] | undefined;
  for (const word of words) {
    if (word.startsWith('-')) {
      const [flag, value] = word.split(/=(.*)/s);
      const list = RUN_MANY_LISTS[flag];
      into = list && value === undefined ? lists[list] : undefined;
      if (list && value) lists[list].push(...value.split(','));
    } else if (into) {
      into.push(...word.split(','));
    }
  }
  const named = (list: string[]) => list.filter(Boolean);
  return named(lists.projects).flatMap((project) =>
    named(lists.targets).map((target) => ({ project, target, configuration, line })),
  );
}

/**
 * `nx build <app>`, `nx run <app>:<target>[:<configuration>]`, `nx <target> <app>` and
 * `nx run-many -t <targets> -p <projects>` in RUN steps.
 */
export function nxInvocations(stage: Stage): NxInvocation[] {
  const found: NxInvocation[] = [];
  for (const step of steps(stage, 'RUN')) {
    for (const command of step.content.split(/&&|\|\||;|\n/)) {
      const words = command.trim().split(/\s+/);
      const at = words.findIndex((word) => word === 'nx' || word.endsWith('/nx'));
      if (at < 0) continue;
      const [verb, subject] = words.slice(at + 1).filter((word) => !word.startsWith('-'));
      const configuration = words.find((word) => word.startsWith('--configuration='))?.split('=')[1];
      if (verb === 'run-many') {
        found.push(...runManyInvocations(words.slice(words.indexOf(verb, at + 1) + 1), step.line, configuration));
      } else if (verb === 'run' && subject) {
        const [project, target, config] = subject.split(':');
        found.push({ project, target, configuration: config ?? configuration, line: step.line });
      } else if (verb && subject && !['affected', 'show', 'graph', 'reset'].includes(verb)) {
        found.push({ project: subject, target: verb, configuration, line: step.line });
      }
    }
  }
  return found;
}

export interface CopyFromStage {
  stage: Stage;
  step: Step;
  from: string;
  sources: string[];
}

/** COPY --from=<stage> steps, with their source paths. */
export function copiesFrom(dockerfile: Dockerfile): CopyFromStage[] {
  return dockerfile.stages.flatMap((stage) =>
    steps(stage, 'COPY').flatMap((step) => {
      const from = step.flags['from'];
      return from ? [{ stage, step, from, sources: step.args.filter((arg) => !arg.startsWith('--')).slice(0, -1) }] : [];
    }),
  );
}

/** The final image's HEALTHCHECK, unless there is none or it is NONE. */
export function healthcheck(dockerfile: Dockerfile): Step | undefined {
  const step = steps(finalStage(dockerfile), 'HEALTHCHECK').pop();
  return step && step.args[0]?.toUpperCase() !== 'NONE' ? step : undefined;
}

export function exposedPorts(dockerfile: Dockerfile): string[] {
  return steps(finalStage(dockerfile), 'EXPOSE').flatMap((step) => step.args.map((port) => port.replace(/\/(tcp|udp)$/, '')));
}

/** CMD in exec form, as its JSON strings. */
export function command(dockerfile: Dockerfile): string[] | undefined {
  const step = steps(finalStage(dockerfile), 'CMD').pop();
  if (!step) return undefined;
  try {
    const parsed: unknown = JSON.parse(step.content);
    return Array.isArray(parsed) ? parsed.map(String) : undefined;
  } catch {
    return undefined;
  }
}
