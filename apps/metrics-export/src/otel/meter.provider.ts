import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { METRICS_CONFIG, type MetricsConfig } from '../app/metrics-config';

export const METER = Symbol('Meter');

/**
 * A MeterProvider of this service's own, read by a Prometheus exporter that serves `/metrics` on its own HTTP server.
 * Not registered globally: these metrics are the service's output, not instrumentation of the process.
 */
export const prometheusMeterProvider: Provider = {
  provide: MeterProvider,
  inject: [METRICS_CONFIG],
  useFactory: async (config: MetricsConfig) => {
    const exporter = new PrometheusExporter({
      host: config.METRICS_HOST,
      port: config.METRICS_PORT,
      endpoint: '/metrics',
      // Started below instead, so a port already taken fails the boot rather than only being logged.
      preventServerStart: true,
    });
    await exporter.startServer();
    return new MeterProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'metrics-export' }),
      readers: [exporter],
    });
  },
};

/** The service's one Meter, for every instrument it records. */
export const meterProvider: Provider = {
  provide: METER,
  inject: [MeterProvider],
  useFactory: (provider: MeterProvider): Meter => provider.getMeter('metrics-export'),
};

/** Shutting the provider down stops the exporter's HTTP server. */
@Injectable()
export class MeterProviderCloser implements OnApplicationShutdown {
  constructor(@Inject(MeterProvider) private readonly provider: MeterProvider) {}

  async onApplicationShutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
