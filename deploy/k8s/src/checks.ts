import { createHash } from 'node:crypto';
import { runConfig } from './app-config';
import type { Facts } from './facts';
import { type Container, find, type K8sObject, ofKind, type Probe, resolveEnv, values } from './manifests';

/** Services compose runs that production must never: identity-dev signs a token for any name typed in. */
export const DEVELOPMENT_ONLY = new Set(['identity-dev']);

/** Names that hold a secret: a password, a token that grants access, a signing or HMAC key. */
const SECRET_NAME = /PASSWORD|SECRET|PRIVATE_KEY|SIGNING_KEY|^ADMIN_TOKEN$/;
/** A URL with a password in it (user:password@). */
const URL_WITH_PASSWORD = /:\/\/[^/@\s:]*:([^/@\s]+)@/;

/** Kubernetes quantities: cpu in cores ("500m", "1"), memory in bytes ("512Mi", "1G"). */
export function quantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(text);
  if (!match) return Number.NaN;
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(match[1]) * (match[2] ? scale[match[2]] : 1);
}

/** Whether a (non-empty) label selector picks pods with these labels. */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

export interface RenderingOptions {
  /** Secrets the pods will find in the namespace: the rendering's own, or stand-ins for those made outside git. */
  secrets: readonly K8sObject[];
  /**
   * A development overlay: its Secrets are its own (their Redis passwords must be users.acl's), and it may run
   * the development-only services.
   */
  development: boolean;
}

function securityProblems(at: string, pod: K8sObject['spec'], container: Container): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  const context = container.securityContext ?? {};
  const runAsUser = context.runAsUser ?? podContext.runAsUser;
  if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push(`${at}: runAsNonRoot is not true`);
  if (runAsUser !== 1000) problems.push(`${at}: runs as uid ${runAsUser}, not the image's node user (1000)`);
  if (context.readOnlyRootFilesystem !== true) problems.push(`${at}: root file system is writable`);
  if (context.allowPrivilegeEscalation !== false) problems.push(`${at}: privilege escalation allowed`);
  if (!context.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities not dropped (drop: [ALL])`);
  if (context.capabilities?.add?.length)
    problems.push(`${at}: adds capabilities ${context.capabilities.add.join(', ')}`);
  if ((context.seccompProfile ?? podContext.seccompProfile)?.type !== 'RuntimeDefault')
    problems.push(`${at}: no RuntimeDefault seccomp profile`);
  return problems;
}

function resourceProblems(at: string, container: Container): string[] {
  const problems: string[] = [];
  for (const resource of ['cpu', 'memory']) {
    const request = container.resources?.requests?.[resource];
    const limit = container.resources?.limits?.[resource];
    if (!request || !limit) problems.push(`${at}: ${resource} needs a request and a limit`);
    else if (!(quantity(request) <= quantity(limit)))
      problems.push(`${at}: ${resource} request ${request} over limit ${limit}`);
  }
  return problems;
}

function probeProblems(
  at: string,
  app: string,
  container: Container,
  facts: Facts,
  listens: Record<string, number> | undefined,
): string[] {
  const problems: string[] = [];
  // A config that refuses its environment is reported already; without its settings no port can be judged.
  if (!listens) return problems;
  const exposed = facts.exposes[app];
  const ports = container.ports ?? [];
  const probes = {
    livenessProbe: container.livenessProbe,
    readinessProbe: container.readinessProbe,
    startupProbe: container.startupProbe,
  };
  const listenPorts = Object.values(listens);
  // The port the probes ask: HEALTH_PORT where the app serves its health apart, else the one it listens on.
  const appPort = listens['HEALTH_PORT'] ?? listenPorts[0];
  if (exposed.length === 0 && listens['HEALTH_PORT'] === undefined) {
    // Its image serves no HTTP (no EXPOSE): there is no endpoint a probe could ask.
    for (const [name, probe] of Object.entries(probes))
      if (probe) problems.push(`${at}: ${name} on an app that serves nothing`);
    if (ports.length) problems.push(`${at}: declares ports its image does not expose`);
    return problems;
  }
  for (const port of ports) {
    // HEALTH_PORT's default is 0 (a free port), so an image cannot EXPOSE it: the ConfigMap alone fixes it.
    if (!exposed.includes(port.containerPort) && port.containerPort !== listens['HEALTH_PORT'])
      problems.push(`${at}: port ${port.containerPort} is not one its image exposes (${exposed.join(', ')})`);
    if (!listenPorts.includes(port.containerPort))
      problems.push(
        `${at}: port ${port.containerPort} is not one its config listens on (${listenPorts.join(', ') || 'none'})`,
      );
  }
  const check = (name: string, probe: Probe | undefined, required: boolean) => {
    if (!probe) {
      if (required) problems.push(`${at}: no ${name}`);
      return;
    }
    if (!probe.httpGet) return void problems.push(`${at}: ${name} is not an HTTP GET of a health endpoint`);
    const { path, port } = probe.httpGet;
    const number = typeof port === 'number' ? port : ports.find((declared) => declared.name === port)?.containerPort;
    if (number === undefined) problems.push(`${at}: ${name} port ${port} is not a declared container port`);
    else if (number !== appPort)
      problems.push(`${at}: ${name} port ${number} is not the one its config listens on (${appPort})`);
    if (!path || !facts.healthPaths[app].includes(path))
      problems.push(
        `${at}: ${name} path ${path} is not a health endpoint of ${app} (${facts.healthPaths[app].join(', ')})`,
      );
  };
  check('livenessProbe', probes.livenessProbe, true);
  check('readinessProbe', probes.readinessProbe, true);
  check('startupProbe', probes.startupProbe, false);
  return problems;
}

/** The ports an app's settings listen on, by setting: PORT and every *_PORT (HEALTH_PORT, METRICS_PORT). */
function listenPorts(settings: Record<string, unknown> | undefined): Record<string, number> | undefined {
  if (!settings) return undefined;
  return Object.fromEntries(
    Object.entries(settings).filter(
      (entry): entry is [string, number] =>
        (entry[0] === 'PORT' || entry[0].endsWith('_PORT')) && typeof entry[1] === 'number' && entry[1] > 0,
    ),
  );
}

function envProblems(
  at: string,
  app: string,
  deployment: K8sObject,
  container: Container,
  objects: readonly K8sObject[],
  options: RenderingOptions,
  facts: Facts,
) {
  const problems: string[] = [];
  const pod = {
    name: `${deployment.metadata.name}-7d4b9c6f8-x2kqz`,
    namespace: deployment.metadata.namespace ?? 'default',
    imageEnv: facts.imageEnv[app],
  };
  const env = resolveEnv(container, ofKind(objects, 'ConfigMap'), options.secrets, pod);
  problems.push(...env.problems.map((problem) => `${at}: ${problem}`));
  const run = runConfig(facts.readers[app], env.values);
  if (run.error) problems.push(`${at}: ${app}'s config refuses this environment: ${run.error.message}`);
  for (const name of run.read)
    if (!(name in env.values)) problems.push(`${at}: ${name}, which ${app} reads, is not set`);
  for (const name of Object.keys(env.values).filter((variable) => env.sources[variable] !== 'image')) {
    const known = run.read.has(name) || name.startsWith('OTEL_') || env.referenced.has(name);
    if (!known) problems.push(`${at}: ${name} is set but ${app} never reads it`);
    if (SECRET_NAME.test(name) && env.sources[name] !== 'secret')
      problems.push(`${at}: ${name} does not come from a Secret`);
  }
  // A URL's password is only ever $(NAME) of a variable that comes from a Secret.
  for (const [name, value] of Object.entries(env.values)) {
    if (!URL_WITH_PASSWORD.test(value)) continue;
    const literal = (container.env ?? []).find((variable) => variable.name === name)?.value ?? '';
    const from = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(URL_WITH_PASSWORD.exec(literal)?.[1] ?? '')?.[1];
    if (!from || env.sources[from] !== 'secret')
      problems.push(`${at}: ${name} holds a password that does not come from a Secret`);
  }
  return { problems, env: env.values, settings: run.settings };
}

/** Redis URLs name the service's own ACL user (the operator for ADMIN_REDIS_URL) with that user's password. */
function redisUserProblems(
  at: string,
  app: string,
  env: Record<string, string>,
  facts: Facts,
  checkPasswords: boolean,
) {
  const problems: string[] = [];
  for (const [name, user] of [
    ['REDIS_URL', app],
    ['ADMIN_REDIS_URL', 'operator'],
  ] as const) {
    if (!env[name]) continue;
    const url = new URL(env[name]);
    if (decodeURIComponent(url.username) !== user)
      problems.push(`${at}: ${name} logs in as ${url.username}, not ${user}`);
    if (!facts.aclHashes[user]) problems.push(`${at}: ${name}: users.acl has no user ${user}`);
    const hash = createHash('sha256').update(decodeURIComponent(url.password)).digest('hex');
    if (checkPasswords && hash !== facts.aclHashes[user])
      problems.push(`${at}: ${name}: not ${user}'s password in users.acl`);
  }
  return problems;
}

/**
 * Where the development identity provider runs, customer-intake trusts it: the tokens' issuer and audience are
 * the ones it signs with, and the key set URL reaches it through its Service.
 */
function identityProblems(objects: readonly K8sObject[], facts: Facts, options: RenderingOptions): string[] {
  const identity = find(objects, 'Deployment', 'identity-dev');
  const intake = find(objects, 'Deployment', 'customer-intake');
  if (!identity || !intake) return [];
  const envOf = (deployment: K8sObject) =>
    resolveEnv(deployment.spec.template.spec.containers[0], ofKind(objects, 'ConfigMap'), options.secrets, {
      name: deployment.metadata.name,
      namespace: deployment.metadata.namespace ?? 'default',
      imageEnv: facts.imageEnv[deployment.metadata.name] ?? {},
    }).values;
  const [signer, verifier] = [envOf(identity), envOf(intake)];
  const problems: string[] = [];
  if ((signer['IDENTITY_ISSUER'] ?? '').replace(/\/$/, '') !== verifier['CUSTOMER_TOKEN_ISSUER'])
    problems.push(
      `customer-intake: CUSTOMER_TOKEN_ISSUER ${verifier['CUSTOMER_TOKEN_ISSUER']} is not identity-dev's ${signer['IDENTITY_ISSUER']}`,
    );
  if (signer['IDENTITY_AUDIENCE'] !== verifier['CUSTOMER_TOKEN_AUDIENCE'])
    problems.push(`customer-intake: CUSTOMER_TOKEN_AUDIENCE is not identity-dev's IDENTITY_AUDIENCE`);
  const jwks = new URL(verifier['CUSTOMER_JWKS_URL'] ?? 'http://unset');
  const service = ofKind(objects, 'Service').find(
    (candidate) => candidate.metadata.name === jwks.hostname.split('.')[0],
  );
  const reaches =
    service &&
    selects(service.spec.selector, identity.spec.template.metadata?.labels) &&
    (service.spec.ports as { port: number }[]).some((port) => port.port === Number(jwks.port || 80));
  if (!reaches)
    problems.push(`customer-intake: CUSTOMER_JWKS_URL ${jwks.href} does not reach identity-dev through its Service`);
  return problems;
}

/** Everything that matters about one rendered overlay, beyond the schemas. */
export function renderingProblems(objects: readonly K8sObject[], facts: Facts, options: RenderingOptions): string[] {
  const problems: string[] = [];
  const deployments = ofKind(objects, 'Deployment');
  const names = deployments.map((deployment) => deployment.metadata.name).sort();
  const expected = facts.apps.filter((app) => options.development || !DEVELOPMENT_ONLY.has(app));
  if (names.join() !== [...expected].sort().join())
    problems.push(`Deployments ${names.join(', ')}; expected ${[...expected].sort().join(', ')}`);

  const namespace = ofKind(objects, 'Namespace')[0]?.metadata.name;
  for (const object of objects)
    if (object.kind !== 'Namespace' && object.metadata.namespace !== namespace)
      problems.push(`${object.kind}/${object.metadata.name}: not in the namespace ${namespace}`);

  for (const configMap of ofKind(objects, 'ConfigMap')) {
    const secretValues = new Set(
      options.secrets.flatMap((secret) => Object.values(values(secret))).filter((value) => value.length >= 8),
    );
    for (const [key, value] of Object.entries(values(configMap))) {
      const at = `ConfigMap/${configMap.metadata.name} ${key}`;
      if (SECRET_NAME.test(key)) problems.push(`${at}: a secret in a ConfigMap`);
      if (URL_WITH_PASSWORD.test(value) || secretValues.has(value)) problems.push(`${at}: holds a secret`);
    }
  }

  for (const deployment of deployments) {
    const app = deployment.metadata.name;
    const pod = deployment.spec.template.spec;
    const containers = pod.containers as Container[];
    const at = `Deployment/${app}`;
    if (!facts.apps.includes(app)) continue; // an app of another branch (checked above): nothing here to check it by
    if (containers.length !== 1 || containers[0].name !== app) {
      problems.push(`${at}: expected one container, ${app}`);
      continue;
    }
    const container = containers[0];
    const image = container.image.replace(/:[^:/]+$/, '');
    if (image !== facts.images[app] && !image.endsWith(`/${facts.images[app]}`))
      problems.push(`${at}: image ${container.image} is not compose's ${facts.images[app]}`);
    if (!/:[^:/]+$/.test(container.image) || container.image.endsWith(':latest'))
      problems.push(`${at}: image ${container.image} has no fixed tag`);
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${at}: mounts a service account token it never uses`);
    problems.push(...securityProblems(at, pod, container), ...resourceProblems(at, container));

    const { problems: envFound, env, settings } = envProblems(at, app, deployment, container, objects, options, facts);
    problems.push(...envFound, ...redisUserProblems(at, app, env, facts, options.development));
    problems.push(...probeProblems(at, app, container, facts, listenPorts(settings)));
    if (env['REDIS_URL'] && !(env['REDIS_CLUSTER_NODES'] ?? '').split(',').every((node) => /^[\w.-]+:\d+$/.test(node)))
      problems.push(`${at}: REDIS_CLUSTER_NODES is not host:port,...`);

    const grace = pod.terminationGracePeriodSeconds ?? 30;
    const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    if (grace < facts.stopGraceSeconds[app] + preStop)
      problems.push(
        `${at}: terminationGracePeriodSeconds ${grace} < compose's ${facts.stopGraceSeconds[app]} s + preStop ${preStop} s`,
      );

    const labels = deployment.spec.template.metadata?.labels as Record<string, string>;
    if (!selects(deployment.spec.selector?.matchLabels, labels))
      problems.push(`${at}: its selector does not pick its pods`);
    if (!ofKind(objects, 'PodDisruptionBudget').some((pdb) => selects(pdb.spec?.selector?.matchLabels, labels)))
      problems.push(`${at}: no PodDisruptionBudget`);
    const autoscaler = ofKind(objects, 'HorizontalPodAutoscaler').find(
      (hpa) => hpa.spec?.scaleTargetRef?.kind === 'Deployment' && hpa.spec.scaleTargetRef.name === app,
    );
    if (app === 'customer-intake' && !autoscaler) problems.push(`${at}: no HorizontalPodAutoscaler`);
    if (autoscaler && deployment.spec.replicas !== undefined)
      problems.push(`${at}: sets replicas, which its autoscaler owns`);
    if (
      autoscaler &&
      !autoscaler.spec.metrics?.some((metric: { resource?: { name: string } }) => metric.resource?.name === 'cpu')
    )
      problems.push(`${at}: its autoscaler does not scale on CPU`);

    const annotations = deployment.spec.template.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] === 'true') {
      const port = Number(annotations['prometheus.io/port']);
      const listens = listenPorts(settings) ?? {};
      if (
        port !== (listens['METRICS_PORT'] ?? listens['PORT']) ||
        !(container.ports ?? []).some((declared) => declared.containerPort === port)
      )
        problems.push(`${at}: prometheus.io/port ${port} is not its metrics port`);
      if (!facts.healthPaths[app].includes(annotations['prometheus.io/path']))
        problems.push(`${at}: prometheus.io/path is not its endpoint`);
    }
  }
  if (!find(objects, 'Deployment', 'metrics-export')?.spec.template.metadata?.annotations?.['prometheus.io/scrape'])
    problems.push('Deployment/metrics-export: not marked for scraping (prometheus.io/scrape)');

  problems.push(...identityProblems(objects, facts, options));

  for (const service of ofKind(objects, 'Service')) {
    const at = `Service/${service.metadata.name}`;
    const target = deployments.find((deployment) =>
      selects(service.spec?.selector, deployment.spec.template.metadata?.labels),
    );
    if (!target) {
      problems.push(`${at}: selects no Deployment's pods`);
      continue;
    }
    const ports = (target.spec.template.spec.containers as Container[]).flatMap((container) => container.ports ?? []);
    for (const port of service.spec.ports as { targetPort: number | string }[])
      if (!ports.some((declared) => declared.name === port.targetPort || declared.containerPort === port.targetPort))
        problems.push(`${at}: targetPort ${port.targetPort} is no port of ${target.metadata.name}`);
  }
  return problems;
}
