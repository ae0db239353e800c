import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { RedisStreamsServer } from '@popup-store/streams-transport';

export const STREAMS_SERVER = Symbol('StreamsServer');

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(STREAMS_SERVER) private readonly server: RedisStreamsServer,
  ) {}

  /** The process runs and its event loop turns. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** It can follow the decisions: the completed and rejected streams are read (not while Redis is away or a group is being made again). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('streams');
        const { ready, problems } = this.server.readiness();
        return ready ? indicator.up() : indicator.down({ problems });
      },
    ]);
  }
}
