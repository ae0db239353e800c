import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as rendered; only the fields the checks read are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- each kind's spec differs; kubernetes-models validates them
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string };
  exec?: unknown;
  tcpSocket?: unknown;
  grpc?: unknown;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

/** The objects of `kubectl kustomize` output. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

export const ofKind = (objects: readonly K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);

export const find = (objects: readonly K8sObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);

/** A ConfigMap's or Secret's values, as the kubelet hands them to a container (Secret data is base64). */
export function values(object: K8sObject): Record<string, string> {
  if (object.kind !== 'Secret') return { ...object.data };
  const decoded = Object.fromEntries(
    Object.entries(object.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
  );
  return { ...decoded, ...object.stringData };
}

export interface ResolvedEnv {
  /** Each variable's value, $(VAR) references expanded. */
  values: Record<string, string>;
  /** Where each variable came from. */
  sources: Record<string, 'image' | 'literal' | 'configMap' | 'secret' | 'field'>;
  /** Variables other variables refer to as $(NAME). */
  referenced: Set<string>;
  problems: string[];
}

/**
 * A container's environment as the kubelet builds it: `envFrom` first, then `env` in order, each `$(NAME)`
 * expanded from what is defined before it, over the image's own ENV. `secrets` are the Secrets available in the
 * namespace; `pod` names the pod for the downward API (`fieldRef`).
 */
export function resolveEnv(
  container: Container,
  configMaps: readonly K8sObject[],
  secrets: readonly K8sObject[],
  pod: { name: string; namespace: string; imageEnv: Record<string, string> },
) {
  const resolved: ResolvedEnv = { values: { ...pod.imageEnv }, sources: {}, referenced: new Set(), problems: [] };
  for (const name of Object.keys(pod.imageEnv)) resolved.sources[name] = 'image';
  const source = (kind: 'ConfigMap' | 'Secret', name: string) =>
    (kind === 'ConfigMap' ? configMaps : secrets).find((object) => object.metadata.name === name);
  const set = (name: string, value: string, from: ResolvedEnv['sources'][string]) => {
    resolved.values[name] = value;
    resolved.sources[name] = from;
  };
  for (const from of container.envFrom ?? []) {
    const [kind, ref] = from.configMapRef
      ? (['ConfigMap', from.configMapRef] as const)
      : (['Secret', from.secretRef] as const);
    const object = ref && source(kind, ref.name);
    if (!object) {
      resolved.problems.push(`envFrom: no ${kind} ${ref?.name}`);
      continue;
    }
    for (const [name, value] of Object.entries(values(object)))
      set(name, value, kind === 'Secret' ? 'secret' : 'configMap');
  }
  for (const variable of container.env ?? []) {
    const { configMapKeyRef: cm, secretKeyRef: secret, fieldRef: field } = variable.valueFrom ?? {};
    if (variable.value !== undefined) {
      const expanded = variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => {
        resolved.referenced.add(name);
        if (!(name in resolved.values)) resolved.problems.push(`${variable.name}: $(${name}) is not defined before it`);
        return resolved.values[name] ?? whole;
      });
      set(variable.name, expanded, 'literal');
    } else if (cm || secret) {
      const [kind, ref] = cm
        ? (['ConfigMap', cm] as const)
        : (['Secret', secret as { name: string; key: string }] as const);
      const value = source(kind, ref.name) && values(source(kind, ref.name) as K8sObject)[ref.key];
      if (value === undefined) resolved.problems.push(`${variable.name}: no key ${ref.key} in ${kind} ${ref.name}`);
      else set(variable.name, value, kind === 'Secret' ? 'secret' : 'configMap');
    } else if (field) {
      const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace };
      if (fields[field.fieldPath] === undefined)
        resolved.problems.push(`${variable.name}: fieldRef ${field.fieldPath} not checked here`);
      set(variable.name, fields[field.fieldPath] ?? '', 'field');
    } else {
      resolved.problems.push(`${variable.name}: neither a value nor a reference`);
    }
  }
  return resolved;
}
