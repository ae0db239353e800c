import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';

const PATHS = ['/health/live', '/health/ready'] as const;

/**
 * `/health/live` and `/health/ready` on a port of their own (HEALTH_PORT), answered by the API's health routes
 * through `inject`: one owner of what health means, and none of the API port's bounds, whose connections are full
 * exactly when a probe matters.
 */
@Injectable()
export class HealthListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server: FastifyInstance = fastify();

  constructor(
    private readonly adapterHost: HttpAdapterHost<FastifyAdapter>,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  /** Where it listens (once the application has booted). */
  get address(): AddressInfo {
    return this.server.server.address() as AddressInfo;
  }

  async onApplicationBootstrap(): Promise<void> {
    const api = this.adapterHost.httpAdapter.getInstance();
    for (const url of PATHS) {
      this.server.get(url, async (_request, reply) => {
        const answer = await api.inject({ method: 'GET', url });
        return reply.status(answer.statusCode).type('application/json; charset=utf-8').send(answer.body);
      });
    }
    await this.server.listen({ port: this.config.HEALTH_PORT, host: this.config.HEALTH_HOST });
    new Logger(HealthListener.name).log(
      `health on http://${this.config.HEALTH_HOST}:${this.address.port}/health/live and /health/ready`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
