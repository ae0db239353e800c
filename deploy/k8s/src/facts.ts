import 'reflect-metadata';
import { DockerfileParser, type Env as EnvInstruction } from 'dockerfile-ast';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configReader, type ConfigReader } from './app-config';

/** What the manifests must agree with, read from the repository's own sources, never restated. */
export interface Facts {
  /** The services: compose services built from this repository that run by default (not the crowd's profile). */
  apps: string[];
  /** Each service's image name, as compose names it, without the tag. */
  images: Record<string, string>;
  /** The tag deploy/.env gives the images built here. */
  devTag: string;
  /** How long compose lets a service shut down (x-node-service's stop_grace_period). */
  stopGraceSeconds: Record<string, number>;
  /** Each Redis ACL user's password hash (deploy/redis/users.acl). */
  aclHashes: Record<string, string>;
  /** Ports the service's image exposes (deploy/docker/<app>.Dockerfile). */
  exposes: Record<string, number[]>;
  /** The environment the service's image sets (ENV of its runtime stage), under what the pod sets. */
  imageEnv: Record<string, Record<string, string>>;
  /** HTTP paths the service answers for health: its image's HEALTHCHECK and its Nest health controller's routes. */
  healthPaths: Record<string, string[]>;
  readers: Record<string, ConfigReader>;
}

function seconds(duration: string | undefined): number {
  const match = /^(\d+)(s|m)?$/.exec(duration ?? '');
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

function dotEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1], match[2]]),
  );
}

function dockerfileFacts(text: string) {
  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const runtimeFrom = dockerfile.getFROMs().at(-1)?.getRange().start.line ?? 0;
  const env = Object.fromEntries(
    instructions
      .filter((instruction) => instruction.getKeyword() === 'ENV' && instruction.getRange().start.line > runtimeFrom)
      .flatMap((instruction) => (instruction as EnvInstruction).getProperties())
      .map((property) => [property.getName(), property.getValue() ?? '']),
  );
  const exposes = instructions
    .filter((instruction) => instruction.getKeyword() === 'EXPOSE')
    .flatMap((instruction) => instruction.getArguments().map((argument) => Number.parseInt(argument.getValue(), 10)));
  const healthPaths = instructions
    .filter((instruction) => instruction.getKeyword() === 'HEALTHCHECK')
    .flatMap((instruction) => [
      ...(instruction.getArgumentsContent() ?? '').matchAll(/127\.0\.0\.1[^/]*?(\/[\w/.-]+)/g),
    ])
    .map((match) => match[1]);
  return { exposes, healthPaths, env };
}

/**
 * GET routes of the app's health controllers (Nest's own route metadata): those in its src/health, and the stream
 * consumers' shared one (streams-transport's StreamsHealthController) when its app module lists it. Its module is
 * built from configuration at boot (AppModule.register), so which controllers it lists is read from the source.
 */
async function healthRoutes(root: string, app: string): Promise<string[]> {
  const dir = join(root, 'apps', app, 'src', 'health');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith('.controller.ts'))
        .map((name) => join(dir, name))
    : [];
  const appModule = join(root, 'apps', app, 'src', 'app', 'app.module.ts');
  if (existsSync(appModule) && /\bStreamsHealthController\b/.test(readFileSync(appModule, 'utf8'))) {
    files.push(join(root, 'libs', 'streams-transport', 'src', 'lib', 'health.controller.ts'));
  }
  const routes: string[] = [];
  for (const file of files) {
    for (const exported of Object.values((await import(file)) as Record<string, unknown>)) {
      if (typeof exported !== 'function') continue;
      const base = Reflect.getMetadata('path', exported) as string | undefined;
      if (base === undefined) continue;
      const prototype = exported.prototype as Record<string, unknown>;
      // Not `constructor`: it is the class, whose own path metadata is the controller's base.
      for (const method of Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor')) {
        const handler = prototype[method];
        const path =
          typeof handler === 'function' ? (Reflect.getMetadata('path', handler) as string | undefined) : undefined;
        if (path !== undefined) routes.push(`/${[base, path].filter(Boolean).join('/')}`.replace(/\/+/g, '/'));
      }
    }
  }
  return routes;
}

export async function readFacts(root: string): Promise<Facts> {
  const compose = parse(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image: string; build?: unknown; profiles?: string[]; stop_grace_period?: string }>;
  };
  const built = Object.entries(compose.services).filter(([, service]) => service.build && !service.profiles);
  const apps = built.map(([name]) => name);
  const facts: Facts = {
    apps,
    images: Object.fromEntries(built.map(([name, service]) => [name, service.image.replace(/:\$\{[^}]*\}$/, '')])),
    devTag: dotEnv(readFileSync(join(root, 'deploy/.env'), 'utf8'))['POPUP_STORE_TAG'] ?? '',
    stopGraceSeconds: Object.fromEntries(built.map(([name, service]) => [name, seconds(service.stop_grace_period)])),
    aclHashes: Object.fromEntries(
      readFileSync(join(root, 'deploy/redis/users.acl'), 'utf8')
        .split('\n')
        .map((line) => /^user (\S+) .*?#([0-9a-f]{64})/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1], match[2]]),
    ),
    exposes: {},
    imageEnv: {},
    healthPaths: {},
    readers: {},
  };
  for (const app of apps) {
    const dockerfile = dockerfileFacts(readFileSync(join(root, 'deploy/docker', `${app}.Dockerfile`), 'utf8'));
    facts.exposes[app] = dockerfile.exposes;
    facts.imageEnv[app] = dockerfile.env;
    facts.healthPaths[app] = [...new Set([...dockerfile.healthPaths, ...(await healthRoutes(root, app))])];
    facts.readers[app] = await configReader(root, app);
  }
  return facts;
}
