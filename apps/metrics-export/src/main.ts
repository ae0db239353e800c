import './instrumentation';
import { Logger } from 'nestjs-pino';
import { createMetricsExport } from './app/metrics-export';
import { metricsConfig } from './app/metrics-config';

async function bootstrap(): Promise<void> {
  const config = metricsConfig();
  const app = await createMetricsExport(config);
  app.enableShutdownHooks();
  await app.listen();
  app
    .get(Logger)
    .log(
      `metrics-export sampling sale ${config.SALE_ID}; Prometheus on http://${config.METRICS_HOST}:${config.METRICS_PORT}/metrics`,
    );
}

bootstrap().catch((error: unknown) => {
  console.error(`metrics-export: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
