import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { RedisStreamsServer } from '@popup-store/streams-transport';
import { STREAMS_SERVER } from '../app/audit-connections';
import { SaleWatchService } from '../audit/sale-watch.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(STREAMS_SERVER) private readonly server: RedisStreamsServer,
    private readonly watch: SaleWatchService,
  ) {}

  /** The process runs and its event loop turns. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * It can complete and audit: the orders and completed streams are read (not while Redis is away or a group is
   * being made again), and the gears answered the sale watch's last status call (not while the library is gone).
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('streams');
        const { ready, problems } = this.server.readiness();
        return ready ? indicator.up() : indicator.down({ problems });
      },
      () => {
        const indicator = this.indicators.check('gears');
        const failure = this.watch.gearsFailure();
        return failure === undefined ? indicator.up() : indicator.down({ message: failure });
      },
    ]);
  }
}
