import './instrumentation';
import { auditingConfig } from './app/auditing-config';
import { startFulfilmentAuditing } from './app/start-fulfilment-auditing';

startFulfilmentAuditing(auditingConfig()).catch((error: unknown) => {
  console.error(`fulfilment-auditing: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
