// Imported first by main.ts: the SDK must be in place before the app requires what it instruments.
import { startTracing } from '@popup-store/telemetry';

// The workspace's version, inlined by webpack at build time (the apps have no package.json of their own).
// eslint-disable-next-line @nx/enforce-module-boundaries -- the root package.json belongs to no project
const { version } = require('../../../package.json') as { version: string };

startTracing({ name: 'metrics-export', version });
