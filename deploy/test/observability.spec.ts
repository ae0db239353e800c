import { collectorProblems, type Deployment, grafanaProblems, imageExposes, loadDeployment, service, wiringProblems } from '../src/checks.ts';
import { repoPathOf } from '../src/compose.ts';
import { checkDashboardProvisioning, checkDatasources } from '../src/grafana.ts';
import { type Dict, dict, list } from '../src/json.ts';
import { checkAddresses, checkCollector, checkListeners, parseAddress, prometheusTargets } from '../src/observability.ts';

let deployment: Deployment;
beforeAll(() => {
  deployment = loadDeployment();
});

const clone = (value: Dict): Dict => structuredClone(value);
const pipelines = (config: Dict) => dict(dict(config['service'])['pipelines']);

describe('the collector config', () => {
  it('parses; its pipelines use only defined components, memory_limiter first, then batch', () => {
    expect(collectorProblems(deployment)).toEqual([]);
    for (const pipeline of Object.values(pipelines(deployment.collector)))
      expect(dict(pipeline)['processors']).toEqual(['memory_limiter', 'batch']);
    expect(Object.keys(pipelines(deployment.collector)).sort()).toEqual(['metrics', 'traces']);
  });

  it('receives OTLP over gRPC (4317) and HTTP (4318) and sends traces to Tempo', () => {
    const otlp = dict(dict(deployment.collector['receivers'])['otlp']);
    expect(dict(otlp['protocols'])).toEqual({ grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } });
    expect(dict(pipelines(deployment.collector)['traces'])['exporters']).toEqual(['otlp/tempo']);
  });

  it('reports an undefined exporter, memory_limiter not first, no batch, an unused receiver', () => {
    const config = clone(deployment.collector);
    dict(config['receivers'])['zipkin'] = {};
    dict(pipelines(config)['traces'])['exporters'] = ['otlp/jaeger'];
    dict(pipelines(config)['metrics'])['processors'] = ['batch', 'memory_limiter'];
    dict(pipelines(config)['traces'])['processors'] = ['memory_limiter'];
    const problems = checkCollector(config).join('\n');
    expect(problems).toMatch(/traces\.exporters: otlp\/jaeger is not defined/);
    expect(problems).toMatch(/metrics\.processors: memory_limiter must come first/);
    expect(problems).toMatch(/traces\.processors: no batch/);
    expect(problems).toMatch(/receivers\.zipkin: defined but in no pipeline/);
  });
});

describe('addresses between containers', () => {
  it('all name a compose service and a port it declares: env URLs, exporters, scrape targets, remote write, datasources', () => {
    expect(wiringProblems(deployment)).toEqual([]);
  });

  it('include Prometheus scraping metrics-export:9464 and the collector', () => {
    const targets = prometheusTargets(deployment.prometheus, 'prometheus.yml').map(({ host, port }) => `${host}:${port}`);
    expect(targets).toEqual(expect.arrayContaining(['metrics-export:9464', 'otel-collector:8888']));
  });

  it('parses URLs with credentials and default ports, and host:port', () => {
    expect(parseAddress('rediss://svc:secret@redis:6380/0', 'x')).toEqual({ from: 'x', host: 'redis', port: '6380' });
    expect(parseAddress('redis://redis', 'x')).toEqual({ from: 'x', host: 'redis', port: '6379' });
    expect(parseAddress('metrics-export:9464', 'x')).toEqual({ from: 'x', host: 'metrics-export', port: '9464' });
    expect(parseAddress('not an address', 'x')).toBeUndefined();
  });

  it('reports a scrape target that is not a service, or a port the service does not declare', () => {
    const prometheus = clone(deployment.prometheus);
    list(prometheus['scrape_configs']).push(
      { job_name: 'gone', static_configs: [{ targets: ['order-generator:9464'] }] },
      { job_name: 'wrong-port', static_configs: [{ targets: ['metrics-export:9100'] }] },
    );
    const problems = checkAddresses(deployment.stack.model, prometheusTargets(prometheus, 'prometheus.yml'), imageExposes(deployment));
    expect(problems).toEqual([
      'prometheus.yml job gone: order-generator:9464: order-generator is not a compose service',
      'prometheus.yml job wrong-port: metrics-export:9100: metrics-export declares ports 9464',
    ]);
  });

  it('reports a listener bound to localhost, unreachable from the other containers', () => {
    const listeners = [{ from: 'tempo.yaml otlp grpc', host: 'localhost', port: '4317' }];
    expect(checkListeners(deployment.stack.model, 'tempo', listeners, imageExposes(deployment))).toEqual([
      'tempo.yaml otlp grpc: listens on localhost, unreachable from other containers',
    ]);
  });
});

describe('Grafana provisioning', () => {
  it('has datasources with fixed uids redis, prometheus and tempo, exemplars linking to tempo, read-only dashboards', () => {
    expect(grafanaProblems(deployment)).toEqual([]);
    const byUid = Object.fromEntries(list(deployment.datasources['datasources']).map((ds) => [dict(ds)['uid'], dict(ds)]));
    expect(byUid['redis']).toMatchObject({ type: 'redis-datasource', url: 'redis:6379' });
    expect(byUid['prometheus']).toMatchObject({
      type: 'prometheus',
      jsonData: { exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: 'tempo' }] },
    });
    expect(byUid['tempo']).toMatchObject({ type: 'tempo', jsonData: { serviceMap: { datasourceUid: 'prometheus' } } });
  });

  it('mounts the repository grafana/ folder: provisioning from grafana/provisioning, dashboards from grafana/dashboards', () => {
    const grafana = service(deployment, 'grafana');
    expect(repoPathOf(grafana, '/etc/grafana/popup-store/provisioning')).toBe('grafana/provisioning');
    const provider = dict(list(deployment.providers['providers'])[0]);
    expect(repoPathOf(grafana, String(dict(provider['options'])['path']))).toBe('grafana/dashboards');
    expect(dict(grafana['environment'])['GF_PLUGINS_PREINSTALL_SYNC']).toBe('redis-datasource@2.2.0');
  });

  it('reports an exemplar destination, a service map or a uid that does not exist, and an uninstalled plugin', () => {
    const datasources = clone(deployment.datasources);
    const [redis, prometheus, tempo] = list(datasources['datasources']).map(dict);
    dict(dict(list(dict(prometheus['jsonData'])['exemplarTraceIdDestinations'])[0]))['datasourceUid'] = 'jaeger';
    dict(dict(tempo['jsonData'])['serviceMap'])['datasourceUid'] = 'mimir';
    redis['uid'] = 'tempo';
    const problems = checkDatasources(datasources, {}).join('\n');
    expect(problems).toMatch(/points at datasourceUid jaeger, which does not exist/);
    expect(problems).toMatch(/points at datasourceUid mimir, which does not exist/);
    expect(problems).toMatch(/uid tempo is used twice/);
    expect(problems).toMatch(/no datasource with uid redis/);
    expect(problems).toMatch(/no exemplarTraceIdDestinations entry pointing at a tempo datasource/);
    expect(checkDatasources(deployment.datasources, {}).join('\n')).toMatch(/type redis-datasource is a plugin the grafana service does not install/);
  });

  it('reports dashboards editable in the UI, or read from outside grafana/dashboards', () => {
    const providers = clone(deployment.providers);
    const provider = dict(list(providers['providers'])[0]);
    provider['allowUiUpdates'] = true;
    dict(provider['options'])['path'] = '/var/lib/grafana/dashboards';
    const problems = checkDashboardProvisioning(providers, service(deployment, 'grafana')).join('\n');
    expect(problems).toMatch(/allowUiUpdates must be false/);
    expect(problems).toMatch(/path \/var\/lib\/grafana\/dashboards comes from no bind mount, not grafana\/dashboards/);
  });
});
