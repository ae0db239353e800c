import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { RedisStreamsServer } from './server';

/** The transport server a service consumes with: its readiness is whether the server's streams are read. */
export const STREAMS_SERVER = Symbol('StreamsServer');

/** What else a service needs to do its work, beside reading its streams (fulfilment-auditing: the gears answer). */
export const READINESS_CHECKS = Symbol('ReadinessChecks');

export type ReadinessCheck = (
  indicators: HealthIndicatorService,
) => HealthIndicatorResult | Promise<HealthIndicatorResult>;

/**
 * `/health/live` and `/health/ready` of a service that consumes streams: ready while every stream of its
 * {@link STREAMS_SERVER} is read (not while Redis is away, a group is being made again or a read is refused) and
 * every {@link READINESS_CHECKS} check passes. A service lists it among its controllers and provides the server.
 */
@Controller('health')
export class StreamsHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(STREAMS_SERVER) private readonly server: RedisStreamsServer,
    @Optional() @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[] = [],
  ) {}

  /** The process runs and its event loop turns. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('streams');
        const { ready, problems } = this.server.readiness();
        return ready ? indicator.up() : indicator.down({ problems });
      },
      ...this.checks.map((check) => () => check(this.indicators)),
    ]);
  }
}
