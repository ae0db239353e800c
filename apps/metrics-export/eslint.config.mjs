import baseConfig from '../../eslint.config.mjs';

// Exporting metrics is this service's whole job: it runs a MeterProvider of its own (never the global one the
// telemetry lib owns), so it alone may import @opentelemetry/sdk-metrics. The other SDK packages stay banned.
const otherSdks = ['@opentelemetry/sdk-trace*', '@opentelemetry/sdk-node', '@opentelemetry/sdk-logs', '@opentelemetry/sdk-events'];

const allowMetricsSdk = (block) => {
  const rule = block.rules?.['@nx/enforce-module-boundaries'];
  if (!rule) return block;
  const [level, options] = rule;
  const depConstraints = options.depConstraints.map((constraint) =>
    constraint.bannedExternalImports?.includes('@opentelemetry/sdk-*')
      ? { ...constraint, bannedExternalImports: otherSdks }
      : constraint,
  );
  return { ...block, rules: { ...block.rules, '@nx/enforce-module-boundaries': [level, { ...options, depConstraints }] } };
};

export default baseConfig.map(allowMetricsSdk);
