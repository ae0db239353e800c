import './instrumentation';
import { Logger } from 'nestjs-pino';
import { startMetricsExport } from './app/metrics-export';
import { metricsConfig } from './app/metrics-config';

async function bootstrap(): Promise<void> {
  const config = metricsConfig();
  const app = await startMetricsExport(config);
  app
    .get(Logger)
    .log(
      `metrics-export sampling sale ${config.SALE_ID} and every live sale; Prometheus on http://${config.METRICS_HOST}:${config.METRICS_PORT}/metrics; health on ${await app.getUrl()}`,
    );
}

bootstrap().catch((error: unknown) => {
  console.error(`metrics-export: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
