import { Body, Controller, Get, HttpStatus, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { GearsError, GearsErrorCode, SaleGears, SaleRegistry, type SaleStatus } from '@popup-store/gears-client';
import { runArchive, saleKeys, type SaleKeys } from '@popup-store/keys';
import type { Redis } from 'ioredis';
import { SALE_KEYS } from '../app/intake-config';
import { ADMIN_REDIS } from '../app/redis.provider';
import { redisAway, refusal } from '../orders/refusal';
import { SaleRoster } from '../sales/sale-roster';
import { AdminTokenGuard } from './admin-token.guard';
import { SaleSettingsDto, SaleStateDto } from './sale-settings.dto';

const DEFAULT_DURATION_SECONDS = 600;

/** The keys of the sale an operator's route names, or 400: an id that cannot be a sale's. */
export function operatorSale(saleId: string): SaleKeys {
  try {
    return saleKeys(saleId);
  } catch (error) {
    throw refusal(HttpStatus.BAD_REQUEST, 'invalid', (error as Error).message, { field: 'sale' });
  }
}

/**
 * The operator's endpoints: configure a sale (which registers it, so every service serves it), open or close it,
 * list the sales and read one. `/api/admin/sale` is the default sale's. The gears keep the rules.
 */
@Controller('admin')
@UseGuards(AdminTokenGuard)
export class SaleAdminController {
  private readonly registry: SaleRegistry;

  constructor(
    @Inject(ADMIN_REDIS) private readonly redis: Redis,
    @Inject(SALE_KEYS) private readonly defaultSale: SaleKeys,
    private readonly roster: SaleRoster,
  ) {
    this.registry = new SaleRegistry(redis);
  }

  @Put('sale')
  configureDefault(@Body() settings: SaleSettingsDto) {
    return this.configure(this.defaultSale, settings);
  }

  @Put('sales/:sale')
  configureSale(@Param('sale') saleId: string, @Body() settings: SaleSettingsDto) {
    return this.configure(operatorSale(saleId), settings);
  }

  @Put('sale/state')
  setDefaultState(@Body() body: SaleStateDto) {
    return this.setState(this.defaultSale, body);
  }

  @Put('sales/:sale/state')
  setSaleState(@Param('sale') saleId: string, @Body() body: SaleStateDto) {
    return this.setState(operatorSale(saleId), body);
  }

  /** Every registered sale (and the default one), with its status. */
  @Get('sales')
  async list() {
    try {
      const registered = await this.registry.list();
      const ids = new Set([this.defaultSale.saleId, ...registered.map(({ saleId }) => saleId)]);
      const changedAt = new Map(registered.map(({ saleId, changedAt }) => [saleId, changedAt]));
      const sales = await Promise.all(
        [...ids].map(async (saleId) => {
          const status = await new SaleGears(this.redis, saleKeys(saleId)).status();
          return {
            saleId,
            default: saleId === this.defaultSale.saleId,
            changedAt: changedAt.get(saleId) ?? null,
            status,
          };
        }),
      );
      return { sales };
    } catch (error) {
      throw error instanceof GearsError ? error : redisAway();
    }
  }

  /** One sale: its status and run, its report once written, and the reports of its earlier runs. */
  @Get('sales/:sale')
  async one(@Param('sale') saleId: string) {
    const sale = operatorSale(saleId);
    let status: SaleStatus;
    try {
      status = await new SaleGears(this.redis, sale).status();
    } catch (error) {
      throw error instanceof GearsError ? error : redisAway();
    }
    if (status.phase === 'unconfigured' && sale.saleId !== this.defaultSale.saleId) {
      throw refusal(HttpStatus.NOT_FOUND, 'unknown_sale', `no sale ${sale.saleId}: configure it first (PUT)`);
    }
    const runs = Array.from({ length: status.run - 1 }, (_, i) => i + 1);
    const [report, ...earlier] = await Promise.all([
      this.redis.get(sale.report),
      ...runs.map((run) => this.redis.get(runArchive(sale, run).report)),
    ]).catch(() => {
      throw redisAway();
    });
    return {
      saleId: sale.saleId,
      run: status.run,
      status,
      report: parsed(report),
      earlierRuns: runs.map((run, i) => ({ run, report: parsed(earlier[i] ?? null) })),
    };
  }

  private async configure(sale: SaleKeys, settings: SaleSettingsDto) {
    const startsAt = settings.startsAt ?? Date.now();
    const endsAt = settings.endsAt ?? startsAt + (settings.durationSeconds ?? DEFAULT_DURATION_SECONDS) * 1000;
    // The DTO compares endsAt with a given startsAt only: a start left to now is known here.
    if (endsAt <= startsAt)
      throw refusal(HttpStatus.BAD_REQUEST, 'invalid', 'endsAt must be after startsAt', { field: 'endsAt' });
    const gears = new SaleGears(this.redis, sale);
    try {
      const { soldBefore, run } = await gears.configure({
        stock: settings.units,
        startsAt,
        endsAt,
        force: settings.force,
      });
      await this.registered(sale);
      return { soldBefore, run, status: await gears.status() };
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

  private async setState(sale: SaleKeys, { state }: SaleStateDto) {
    const gears = new SaleGears(this.redis, sale);
    try {
      const previous = await gears.setState(state);
      await this.registered(sale);
      return { previous, status: await gears.status() };
    } catch (error) {
      if (error instanceof GearsError && error.code === GearsErrorCode.NoSale) {
        throw refusal(HttpStatus.CONFLICT, 'no_sale', `configure the sale first (PUT /api/admin/sales/${sale.saleId})`);
      }
      throw error instanceof GearsError ? error : redisAway();
    }
  }

  /** The sale's change, in the registry (every service then serves it) and in this intake's roster at once. */
  private async registered(sale: SaleKeys): Promise<void> {
    await this.registry.register(sale.saleId);
    this.roster.add(sale);
  }
}

const parsed = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
