import { Controller, Get } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { UNBOUNDED } from '../limits/admission';
import { RedisHealthIndicator } from './redis-health.indicator';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** The process runs and its event loop turns. */
  @Get('live')
  @RouteConfig(UNBOUNDED)
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** It can take orders: Redis answers. */
  @Get('ready')
  @RouteConfig(UNBOUNDED)
  @HealthCheck()
  ready() {
    return this.health.check([() => this.redis.isHealthy('redis')]);
  }
}
