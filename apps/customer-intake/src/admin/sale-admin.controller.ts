import { Body, Controller, HttpStatus, Inject, Put, UseGuards } from '@nestjs/common';
import { GearsError, GearsErrorCode, SaleGears } from '@popup-store/gears-client';
import type { SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { SALE_KEYS } from '../app/intake-config';
import { ADMIN_REDIS } from '../app/redis.provider';
import { redisAway, refusal } from '../orders/refusal';
import { AdminTokenGuard } from './admin-token.guard';
import { SaleSettingsDto, SaleStateDto } from './sale-settings.dto';

const DEFAULT_DURATION_SECONDS = 600;

/** The operator's endpoints: configure the sale, open or close it. The gears keep the rules. */
@Controller('admin/sale')
@UseGuards(AdminTokenGuard)
export class SaleAdminController {
  private readonly gears: SaleGears;

  constructor(@Inject(ADMIN_REDIS) redis: Redis, @Inject(SALE_KEYS) sale: SaleKeys) {
    this.gears = new SaleGears(redis, sale);
  }

  @Put()
  async configure(@Body() settings: SaleSettingsDto) {
    const startsAt = settings.startsAt ?? Date.now();
    const endsAt = settings.endsAt ?? startsAt + (settings.durationSeconds ?? DEFAULT_DURATION_SECONDS) * 1000;
    // The DTO compares endsAt with a given startsAt only: a start left to now is known here.
    if (endsAt <= startsAt)
      throw refusal(HttpStatus.BAD_REQUEST, 'invalid', 'endsAt must be after startsAt', { field: 'endsAt' });
    try {
      const soldBefore = await this.gears.configure({ stock: settings.units, startsAt, endsAt, force: settings.force });
      return { soldBefore, status: await this.gears.status() };
    } catch (error) {
      if (error instanceof GearsError && error.code === GearsErrorCode.SaleStarted) {
        throw refusal(
          HttpStatus.CONFLICT,
          'sale_started',
          'the sale sold units already: send force: true to start it over',
        );
      }
      throw error instanceof GearsError ? error : redisAway();
    }
  }

  @Put('state')
  async setState(@Body() { state }: SaleStateDto) {
    try {
      return { previous: await this.gears.setState(state), status: await this.gears.status() };
    } catch (error) {
      if (error instanceof GearsError && error.code === GearsErrorCode.NoSale) {
        throw refusal(HttpStatus.CONFLICT, 'no_sale', 'configure the sale first (PUT /api/admin/sale)');
      }
      throw error instanceof GearsError ? error : redisAway();
    }
  }
}
