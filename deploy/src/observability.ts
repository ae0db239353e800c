import { parsePort, services } from './compose.ts';
import { type Dict, dict, list, str, strings } from './json.ts';


const SIGNALS = new Set(['traces', 'metrics', 'logs', 'profiles']);

const typeOf = (id: string) => id.split('/')[0];

/**
 * The collector's pipelines use only components its config defines; memory_limiter comes first in every
 * pipeline (so it refuses data before anything else holds it) and batch is in every pipeline; nothing is
 * defined and left unused.
 */
export function checkCollector(config: Dict): string[] {
  const problems: string[] = [];
  const sections = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
  const defined = Object.fromEntries(sections.map((section) => [section, new Set(Object.keys(dict(config[section])))]));
  const used = Object.fromEntries(sections.map((section) => [section, new Set<string>()]));
  const service = dict(config['service']);
  const pipelines = Object.entries(dict(service['pipelines']));
  if (pipelines.length === 0) problems.push('service.pipelines: none');

  for (const [name, pipeline] of pipelines) {
    const at = `service.pipelines.${name}`;
    if (!SIGNALS.has(typeOf(name))) problems.push(`${at}: ${typeOf(name)} is not a signal (${[...SIGNALS].join(', ')})`);
    const spec = dict(pipeline);
    for (const [role, sources] of [
      ['receivers', ['receivers', 'connectors']],
      ['processors', ['processors']],
      ['exporters', ['exporters', 'connectors']],
    ] as const) {
      const ids = strings(spec[role]);
      if (role !== 'processors' && ids.length === 0) problems.push(`${at}.${role}: none`);
      for (const id of ids) {
        const section = sources.find((candidate) => defined[candidate].has(id));
        if (section) used[section].add(id);
        else problems.push(`${at}.${role}: ${id} is not defined under ${sources.join(' or ')}`);
      }
    }
    const processors = strings(spec['processors']);
    if (typeOf(processors[0] ?? '') !== 'memory_limiter')
      problems.push(`${at}.processors: memory_limiter must come first (has: ${processors.join(', ') || 'none'})`);
    if (!processors.some((id) => typeOf(id) === 'batch')) problems.push(`${at}.processors: no batch`);
  }

  for (const id of strings(service['extensions'])) {
    if (defined['extensions'].has(id)) used['extensions'].add(id);
    else problems.push(`service.extensions: ${id} is not defined under extensions`);
  }
  for (const [id, limiter] of Object.entries(dict(config['processors']))) {
    if (typeOf(id) !== 'memory_limiter') continue;
    const spec = dict(limiter);
    if (spec['check_interval'] === undefined) problems.push(`processors.${id}: no check_interval`);
    if (spec['limit_mib'] === undefined && spec['limit_percentage'] === undefined)
      problems.push(`processors.${id}: neither limit_mib nor limit_percentage`);
  }
  for (const section of sections)
    for (const id of defined[section]) if (!used[section].has(id)) problems.push(`${section}.${id}: defined but in no pipeline`);
  return problems;
}


/** An address one container uses to reach another (host = compose service name), or where one listens. */
export interface Address {
  from: string;
  host: string;
  port: string;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', redis: '6379', rediss: '6379' };

/** `host:port`, `scheme://[user:pass@]host[:port][/path]`; undefined if the text is not an address. */
export function parseAddress(text: string, from: string): Address | undefined {
  const url = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?/i.exec(text);
  if (url) {
    const port = url[3] ?? DEFAULT_PORTS[url[1].toLowerCase()];
    return port ? { from, host: url[2], port } : undefined;
  }
  const hostPort = /^([A-Za-z0-9_.-]+|\[[^\]]+\]):(\d+)$/.exec(text);
  return hostPort ? { from, host: hostPort[1], port: hostPort[2] } : undefined;
}

export function collectorAddresses(config: Dict, source: string): Address[] {
  return Object.entries(dict(config['exporters'])).flatMap(([id, exporter]) => {
    const endpoint = str(dict(exporter)['endpoint']);
    const address = endpoint ? parseAddress(endpoint, `${source} exporters.${id}`) : undefined;
    return address ? [address] : [];
  });
}

/** Where the collector listens: its OTLP receivers and its own metrics. */
export function collectorListeners(config: Dict, source: string): Address[] {
  const listeners: Address[] = [];
  for (const [id, receiver] of Object.entries(dict(config['receivers'])))
    for (const [protocol, spec] of Object.entries(dict(dict(receiver)['protocols']))) {
      const endpoint = str(dict(spec)['endpoint']);
      const address = endpoint && parseAddress(endpoint, `${source} receivers.${id}.protocols.${protocol}`);
      if (address) listeners.push(address);
    }
  const readers = list(dict(dict(dict(config['service'])['telemetry'])['metrics'])['readers']);
  for (const reader of readers) {
    const prometheus = dict(dict(dict(dict(reader)['pull'])['exporter'])['prometheus']);
    const host = str(prometheus['host']);
    const port = str(prometheus['port']);
    if (host && port) listeners.push({ from: `${source} service.telemetry.metrics (pull)`, host, port });
  }
  return listeners;
}

export function prometheusTargets(config: Dict, source: string): Address[] {
  return list(config['scrape_configs']).flatMap((scrape) => {
    const job = str(dict(scrape)['job_name']) ?? '?';
    return list(dict(scrape)['static_configs']).flatMap((group) =>
      strings(dict(group)['targets']).flatMap((target) => parseAddress(target, `${source} job ${job}`) ?? []),
    );
  });
}

export function tempoAddresses(config: Dict, source: string): Address[] {
  const remoteWrite = list(dict(dict(dict(config['metrics_generator'])['storage']))['remote_write']);
  return remoteWrite.flatMap((target) => parseAddress(str(dict(target)['url']) ?? '', `${source} remote_write`) ?? []);
}

export function tempoListeners(config: Dict, source: string): Address[] {
  const listeners: Address[] = [];
  const port = str(dict(config['server'])['http_listen_port']);
  if (port) listeners.push({ from: `${source} server.http_listen_port`, host: '0.0.0.0', port });
  for (const [id, receiver] of Object.entries(dict(dict(config['distributor'])['receivers'])))
    for (const [protocol, spec] of Object.entries(dict(dict(receiver)['protocols']))) {
      const endpoint = str(dict(spec)['endpoint']);
      const address = endpoint ? parseAddress(endpoint, `${source} distributor.receivers.${id}.${protocol}`) : undefined;
      const port = protocol === 'grpc' ? '4317' : '4318';
      // Since Tempo 2.7 a receiver without an endpoint listens on localhost only.
      listeners.push(address ?? { from: `${source} distributor.receivers.${id}.${protocol} (no endpoint)`, host: 'localhost', port });
    }
  return listeners;
}

/** URLs in the services' environment and command lines: REDIS_URL, OTEL_EXPORTER_OTLP_ENDPOINT, --url... */
export function composeAddresses(model: Dict): Address[] {
  return services(model).flatMap(([name, service]) => {
    const environment = Object.entries(dict(service['environment'])).flatMap(([key, value]) => {
      // A token issuer names the identity provider as a browser on the host reaches it: not a container address.
      if (key.endsWith('_ISSUER')) return [];
      const text = str(value);
      return text && /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? (parseAddress(text, `services.${name}.environment.${key}`) ?? []) : [];
    });
    const command = strings(Array.isArray(service['command']) ? service['command'] : []).flatMap((word) =>
      /^[a-z][a-z0-9+.-]*:\/\//i.test(word) ? (parseAddress(word, `services.${name}.command`) ?? []) : [],
    );
    return [...environment, ...command];
  });
}

export function grafanaAddresses(datasources: Dict, source: string): Address[] {
  return list(datasources['datasources']).flatMap((datasource) => {
    const spec = dict(datasource);
    return parseAddress(str(spec['url']) ?? '', `${source} ${str(spec['uid']) ?? str(spec['name'])}`) ?? [];
  });
}

/** The ports a compose service's container listens on: its `ports` and `expose`, and its image's EXPOSE. */
export function declaredPorts(model: Dict, service: string, imageExposes: (service: string) => string[]): Set<string> {
  const spec = dict(dict(model['services'])[service]);
  return new Set([
    ...list(spec['ports']).map((entry) => parsePort(entry).target),
    ...strings(spec['expose']).map((port) => port.replace(/\/(tcp|udp)$/, '')),
    ...imageExposes(service),
  ]);
}

/**
 * Every address a config or a service uses to reach another container names a compose service and a port
 * that service declares (`ports`, `expose`, or EXPOSE in its Dockerfile).
 */
export function checkAddresses(model: Dict, addresses: Address[], imageExposes: (service: string) => string[]): string[] {
  const names = new Set(services(model).map(([name]) => name));
  return addresses.flatMap((address) => {
    if (!names.has(address.host)) return [`${address.from}: ${address.host}:${address.port}: ${address.host} is not a compose service`];
    const ports = declaredPorts(model, address.host, imageExposes);
    return ports.has(address.port)
      ? []
      : [`${address.from}: ${address.host}:${address.port}: ${address.host} declares ports ${[...ports].join(', ') || 'none'}`];
  });
}

/**
 * Where a container listens: on all interfaces (a server bound to localhost is unreachable from the other
 * containers) and on a port its compose service declares.
 */
export function checkListeners(model: Dict, service: string, listeners: Address[], imageExposes: (service: string) => string[]): string[] {
  const ports = declaredPorts(model, service, imageExposes);
  return listeners.flatMap((listener) => [
    ...(['0.0.0.0', '[::]', ''].includes(listener.host) ? [] : [`${listener.from}: listens on ${listener.host}, unreachable from other containers`]),
    ...(ports.has(listener.port) ? [] : [`${listener.from}: port ${listener.port} is not declared by compose service ${service}`]),
  ]);
}
