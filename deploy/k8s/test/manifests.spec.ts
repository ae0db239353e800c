import { join, resolve } from 'node:path';
import { renderingProblems } from '../src/checks';
import { type Facts, readFacts } from '../src/facts';
import { kubectl, kustomize, versions } from '../src/kubectl';
import { type Container, find, type K8sObject, ofKind, parseManifests } from '../src/manifests';
import { unknownFieldProblems } from '../src/known-fields';
import { schemaProblems } from '../src/schemas';

const root = resolve(__dirname, '../../..');
const overlay = (name: string) => join(root, 'deploy/k8s/overlays', name);

let facts: Facts;
let dev: K8sObject[];
let production: K8sObject[];
/** A copy of dev with two values the API refuses and two fields it does not know. */
let broken: K8sObject[];
let schemaResults: Record<'dev' | 'production' | 'broken', string[]>;
let fieldResults: Record<'dev' | 'production' | 'broken', string[]>;

beforeAll(async () => {
  const binary = await kubectl();
  expect(versions(binary)).toMatch(/Kustomize Version: v5\./);
  const rendered = Promise.all([kustomize(binary, overlay('dev')), kustomize(binary, overlay('production'))]);
  facts = await readFacts(root);
  [dev, production] = (await rendered).map(parseManifests);
  broken = structuredClone(dev);
  (find(broken, 'Deployment', 'order-generation') as K8sObject).spec.replicas = 'two';
  (
    find(broken, 'HorizontalPodAutoscaler', 'customer-intake') as K8sObject
  ).spec.metrics[0].resource.target.averageUtilization = '70%';
  // TypeScript reports the first unknown field of each object: one misspelling in each of two.
  (find(broken, 'Deployment', 'metrics-export') as K8sObject).spec.template.spec.terminationGracePeriodSecond = 5;
  const worker = (find(broken, 'Deployment', 'fulfilment-auditing') as K8sObject).spec.template.spec.containers[0];
  worker.readinesProbe = { periodSeconds: 5 };
  const schemas = schemaProblems([dev, production, broken]);
  const [devFields, productionFields, brokenFields] = unknownFieldProblems([dev, production, broken]);
  const [devSchemas, productionSchemas, brokenSchemas] = await schemas;
  schemaResults = { dev: devSchemas, production: productionSchemas, broken: brokenSchemas };
  fieldResults = { dev: devFields, production: productionFields, broken: brokenFields };
}, 60_000);

const devOptions = () => ({ secrets: ofKind(dev, 'Secret'), development: true });
// Production's Secrets are made outside git with the names and keys the dev overlay generates (README.md).
const productionOptions = () => ({ secrets: ofKind(dev, 'Secret'), development: false });

const container = (objects: K8sObject[], app: string) =>
  (find(objects, 'Deployment', app)?.spec.template.spec.containers as Container[])[0];
const configMap = (objects: K8sObject[], prefix: string) =>
  ofKind(objects, 'ConfigMap').find((object) => object.metadata.name.startsWith(prefix)) as K8sObject;

describe('kubectl kustomize renders each overlay', () => {
  it.each(['dev', 'production'] as const)('%s: every object is valid against the Kubernetes API schemas', (name) => {
    expect(schemaResults[name]).toEqual([]);
  });

  it.each(['dev', 'production'] as const)('%s: no object has a field the Kubernetes API does not know', (name) => {
    expect(fieldResults[name]).toEqual([]);
  });

  it('the field check finds a misspelt field', () => {
    expect(fieldResults.broken).toEqual([
      expect.stringMatching(
        /^Deployment\/fulfilment-auditing: .*'"readinesProbe"' does not exist in type 'IContainer'/,
      ),
      expect.stringMatching(
        /^Deployment\/metrics-export: .*'"terminationGracePeriodSecond"' does not exist in type 'IPodSpec'/,
      ),
    ]);
  });

  it('the schema check refuses what the API would', () => {
    expect(schemaResults.broken).toEqual([
      expect.stringMatching(/^Deployment\/order-generation: .*replicas must be integer/),
      expect.stringMatching(/^HorizontalPodAutoscaler\/customer-intake: .*averageUtilization must be integer/),
    ]);
  });
});

describe('what matters in each overlay', () => {
  it('dev: probes, resources, non-root, every setting each app reads, secrets only in Secrets, Redis users', () => {
    expect(renderingProblems(dev, facts, devOptions())).toEqual([]);
  });

  it('production: the same, with its Secrets made outside git (none rendered), and no development identity provider', () => {
    expect(ofKind(production, 'Secret')).toEqual([]);
    expect(find(production, 'Deployment', 'identity-dev')).toBeUndefined();
    expect(renderingProblems(production, facts, productionOptions())).toEqual([]);
  });

  it('the facts come from the repository: the services, their health endpoints and exposed ports', () => {
    expect(facts.apps).toEqual(
      expect.arrayContaining(['customer-intake', 'order-generation', 'fulfilment-auditing', 'metrics-export']),
    );
    expect(facts.apps).not.toContain('crowd');
    expect(facts.healthPaths['customer-intake']).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    expect(facts.healthPaths['metrics-export']).toEqual(['/metrics', '/health/live', '/health/ready']);
    expect(facts.exposes['order-generation']).toEqual([]);
  });
});

describe('the checks catch', () => {
  const problemsOf = (mutate: (objects: K8sObject[]) => void) => {
    const changed = structuredClone(dev);
    mutate(changed);
    return renderingProblems(changed, facts, { secrets: ofKind(changed, 'Secret'), development: true });
  };

  it('a probe that is missing, or asks a path or port the app does not serve', () => {
    expect(problemsOf((objects) => delete container(objects, 'customer-intake').readinessProbe)).toEqual([
      'Deployment/customer-intake: no readinessProbe',
    ]);
    expect(
      problemsOf((objects) => {
        const intake = container(objects, 'customer-intake');
        intake.livenessProbe = { httpGet: { path: '/healthz', port: 3000 } };
        intake.readinessProbe = { httpGet: { path: '/health/ready', port: 8080 } };
      }),
    ).toEqual([
      expect.stringMatching(/livenessProbe path \/healthz is not a health endpoint of customer-intake/),
      expect.stringMatching(/readinessProbe port 8080 is not the one its config listens on \(3000\)/),
    ]);
    expect(
      problemsOf(
        (objects) =>
          (configMap(objects, 'metrics-export-settings').data = {
            ...configMap(objects, 'metrics-export-settings').data,
            METRICS_PORT: '9100',
            HEALTH_PORT: '9001',
          }),
      ),
    ).toEqual([
      'Deployment/metrics-export: port 9464 is not one its config listens on (9001, 9100)',
      'Deployment/metrics-export: port 9000 is not one its image exposes (9464)',
      'Deployment/metrics-export: port 9000 is not one its config listens on (9001, 9100)',
      'Deployment/metrics-export: livenessProbe port 9000 is not the one its config listens on (9001)',
      'Deployment/metrics-export: readinessProbe port 9000 is not the one its config listens on (9001)',
      'Deployment/metrics-export: startupProbe port 9000 is not the one its config listens on (9001)',
      'Deployment/metrics-export: prometheus.io/port 9464 is not its metrics port',
    ]);
  });

  it('root, a writable root file system, capabilities, missing resources', () => {
    expect(
      problemsOf((objects) => {
        const deployment = find(objects, 'Deployment', 'order-generation') as K8sObject;
        deployment.spec.template.spec.securityContext.runAsUser = 0;
        const worker = container(objects, 'order-generation');
        worker.securityContext = {
          ...worker.securityContext,
          readOnlyRootFilesystem: false,
          capabilities: { add: ['NET_ADMIN'] },
        };
        delete worker.resources?.limits;
      }),
    ).toEqual([
      "Deployment/order-generation: runs as uid 0, not the image's node user (1000)",
      'Deployment/order-generation: root file system is writable',
      'Deployment/order-generation: capabilities not dropped (drop: [ALL])',
      'Deployment/order-generation: adds capabilities NET_ADMIN',
      'Deployment/order-generation: cpu needs a request and a limit',
      'Deployment/order-generation: memory needs a request and a limit',
    ]);
  });

  it('a setting an app reads that nothing provides, one it never reads, a value its config refuses', () => {
    expect(
      problemsOf((objects) => {
        const settings = configMap(objects, 'order-generation-settings');
        const data: Record<string, string> = { ...settings.data, BATCH_SIZES: '500', BLOCK_MS: 'soon' };
        delete data['BATCH_SIZE'];
        settings.data = data;
      }),
    ).toEqual([
      expect.stringMatching(/order-generation's config refuses this environment: .*BLOCK_MS/s),
      'Deployment/order-generation: BATCH_SIZE, which order-generation reads, is not set',
      'Deployment/order-generation: BATCH_SIZES is set but order-generation never reads it',
    ]);
  });

  it('a secret in a ConfigMap or in a literal, a Redis URL of another user or with a wrong password', () => {
    expect(
      problemsOf((objects) => {
        const common = configMap(objects, 'popup-store-common');
        common.data = { ...common.data, ADMIN_TOKEN: 'x'.repeat(24) };
        const worker = container(objects, 'metrics-export');
        worker.env = (worker.env ?? []).map((variable) =>
          variable.name === 'REDIS_URL'
            ? { name: 'REDIS_URL', value: 'redis://operator:hunter2hunter2@$(REDIS_ADDRESS)' }
            : variable,
        );
        const generation = container(objects, 'order-generation');
        generation.env = (generation.env ?? []).map((variable) =>
          variable.name === 'REDIS_PASSWORD'
            ? { name: 'REDIS_PASSWORD', value: 'e207014c393bf2a39e4469a8b29b56fb' }
            : variable,
        );
      }),
    ).toEqual(
      expect.arrayContaining([
        'ConfigMap/' + configMap(dev, 'popup-store-common').metadata.name + ' ADMIN_TOKEN: a secret in a ConfigMap',
        'Deployment/order-generation: REDIS_PASSWORD does not come from a Secret',
        'Deployment/order-generation: REDIS_URL holds a password that does not come from a Secret',
        'Deployment/metrics-export: REDIS_URL holds a password that does not come from a Secret',
        'Deployment/metrics-export: REDIS_URL logs in as operator, not metrics-export',
        "Deployment/metrics-export: REDIS_URL: not metrics-export's password in users.acl",
        'Deployment/order-generation: ADMIN_TOKEN does not come from a Secret',
      ]),
    );
  });

  it('a customer-intake that does not trust the development identity provider it runs beside', () => {
    expect(
      problemsOf((objects) => {
        const settings = configMap(objects, 'customer-intake-settings');
        settings.data = {
          ...settings.data,
          CUSTOMER_TOKEN_ISSUER: 'http://localhost:4001',
          CUSTOMER_JWKS_URL: 'http://identity:4000/jwks',
        };
      }),
    ).toEqual([
      "customer-intake: CUSTOMER_TOKEN_ISSUER http://localhost:4001 is not identity-dev's http://localhost:4000",
      'customer-intake: CUSTOMER_JWKS_URL http://identity:4000/jwks does not reach identity-dev through its Service',
    ]);
  });

  it('a missing PodDisruptionBudget or autoscaler, a grace period shorter than the shutdown', () => {
    expect(
      problemsOf((objects) => {
        objects.splice(objects.indexOf(find(objects, 'PodDisruptionBudget', 'fulfilment-auditing') as K8sObject), 1);
        objects.splice(objects.indexOf(find(objects, 'HorizontalPodAutoscaler', 'customer-intake') as K8sObject), 1);
        (find(objects, 'Deployment', 'metrics-export') as K8sObject).spec.template.spec.terminationGracePeriodSeconds =
          5;
      }),
    ).toEqual([
      'Deployment/customer-intake: no HorizontalPodAutoscaler',
      'Deployment/fulfilment-auditing: no PodDisruptionBudget',
      "Deployment/metrics-export: terminationGracePeriodSeconds 5 < compose's 20 s + preStop 0 s",
    ]);
  });
});
