import { Body, Controller, Get, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { GearsError, ROOM_DEFAULTS, SaleGears } from '@popup-store/gears-client';
import type { Redis } from 'ioredis';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ADMIN_REDIS } from '../app/redis.provider';
import { redisAway } from '../orders/refusal';
import { AdminTokenGuard } from './admin-token.guard';
import { operatorSale } from './sale-admin.controller';

/** `PUT /api/admin/sales/:sale/room`: the waiting room's settings; what is left out keeps its default. */
export class RoomSettingsDto extends createZodDto(
  z.strictObject({
    on: z.boolean(),
    /** Admissions per second; 0 or absent: derived from the decisions measured. */
    admitPerSecond: z.int().min(0).max(1_000_000).optional(),
    timeoutMs: z.int().min(1000).max(3_600_000).optional(),
    admitMs: z.int().min(1000).max(3_600_000).optional(),
    autoFloor: z.int().min(1).max(1_000_000).optional(),
    /** A room left off turns itself on once arrivals pass the admission rate. */
    auto: z.boolean().optional(),
    /** Empty the line and its counters (a sale started over). */
    reset: z.boolean().optional(),
  }),
) {}

/** The operator's switch of the waiting room (docs/waiting-room.md), and its figures. */
@Controller('admin/sales/:sale/room')
@UseGuards(AdminTokenGuard)
export class RoomAdminController {
  constructor(@Inject(ADMIN_REDIS) private readonly redis: Redis) {}

  @Put()
  async configure(@Param('sale') sale: string, @Body() settings: RoomSettingsDto) {
    const gears = new SaleGears(this.redis, operatorSale(sale));
    try {
      const wasOn = await gears.configureRoom({ ...ROOM_DEFAULTS, ...settings });
      return { wasOn, status: await gears.roomStatus() };
    } catch (error) {
      throw error instanceof GearsError ? error : redisAway();
    }
  }

  @Get()
  async status(@Param('sale') sale: string) {
    return new SaleGears(this.redis, operatorSale(sale)).roomStatus().catch(() => {
      throw redisAway();
    });
  }
}
