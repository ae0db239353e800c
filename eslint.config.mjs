import nx from '@nx/eslint-plugin';

// Two tag dimensions: scope (whose code) and type (what layer). Apps sit on top; libs never reach up.
const layers = {
  'type:app': ['type:transport', 'type:data-access', 'type:telemetry', 'type:util'],
  // The transport gets its connections from the one connection factory (libs/redis-connection).
  'type:transport': ['type:data-access', 'type:telemetry', 'type:util'],
  // The gears client reaches each master of a cluster through the connection factory (libs/redis-connection).
  'type:data-access': ['type:data-access', 'type:telemetry', 'type:util'],
  'type:telemetry': ['type:util'],
  'type:testing': ['type:transport', 'type:data-access', 'type:util'],
  'type:util': ['type:util'],
};
const scopes = [
  'customer-intake',
  'order-generation',
  'fulfilment-auditing',
  'metrics-export',
  'crowd',
  'launcher',
  'bench',
  'identity-dev',
  'storefront',
];

const constraints = (extraForTests) => [
  ...Object.entries(layers).map(([sourceTag, allowed]) => ({
    sourceTag,
    onlyDependOnLibsWithTags: [...allowed, ...extraForTests],
    // The OpenTelemetry SDK is started once per process, by the telemetry lib; everything else uses the API.
    bannedExternalImports: sourceTag === 'type:telemetry' ? [] : ['@opentelemetry/sdk-*'],
  })),
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ...scopes.map((scope) => ({
    sourceTag: `scope:${scope}`,
    onlyDependOnLibsWithTags: ['scope:shared', `scope:${scope}`],
  })),
];

const boundaries = (extraForTests) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    // The shared configs every project's own config builds on: the lint config and the Node apps' webpack build.
    allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$', '^.*/tools/node-app\\.webpack\\.cjs$'],
    depConstraints: constraints(extraForTests),
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/node_modules'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@nx/enforce-module-boundaries': boundaries([]) },
  },
  {
    // Tests, and only tests, may use the real-Redis harness.
    files: ['**/*.spec.ts', '**/*.e2e.ts', '**/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(['type:testing']) },
  },
];
