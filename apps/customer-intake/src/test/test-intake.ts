import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { SaleGears } from '@popup-store/gears-client';
import { saleKeys, type SaleKeys } from '@popup-store/keys';
import type { RedisConnection } from '@popup-store/redis-connection';
import { AppModule } from '../app/app.module';
import { intakeHttpAdapter } from '../app/http-adapter';
import { intakeConfig } from '../app/intake-config';

export interface TestIntake {
  readonly app: NestFastifyApplication;
  readonly sale: SaleKeys;
}

/** intake as main.ts builds it, on a sale of its own opened with `stock` units (Redis's clock) before it starts. */
export async function startTestIntake(
  client: RedisConnection,
  redisUrl: string,
  saleId: string,
  stock: number,
  env: Record<string, string>,
): Promise<TestIntake> {
  const sale = saleKeys(saleId);
  const [seconds] = await client.time();
  const now = Number(seconds) * 1000;
  await new SaleGears(client, sale).configure({ stock, startsAt: now - 1000, endsAt: now + 600_000, force: true });
  const config = intakeConfig({
    REDIS_URL: redisUrl,
    SALE_ID: saleId,
    LOG_LEVEL: 'silent',
    // A spec's own work (signing, hundreds of requests at once) lags the event loop it shares with intake: only
    // the specs of shedding (limits/bounds.spec.ts) set the bound that sheds.
    MAX_EVENT_LOOP_DELAY_MS: '60000',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(intakeHttpAdapter(config), { logger: false });
  app.setGlobalPrefix('api', { exclude: ['health/live', 'health/ready'] });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, sale };
}
