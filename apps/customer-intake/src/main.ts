import './instrumentation';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app/app.module';
import { intakeHttpAdapter } from './app/http-adapter';
import { intakeConfig } from './app/intake-config';
import { SaleRoster } from './sales/sale-roster';
import { serveStorefront } from './storefront/storefront';

async function bootstrap(): Promise<void> {
  const config = intakeConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), intakeHttpAdapter(config), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix('api', { exclude: ['health/live', 'health/ready'] });
  app.enableShutdownHooks();
  const storefront = {
    dir: config.STOREFRONT_DIR,
    saleId: config.SALE_ID,
    sells: (saleId: string) => app.get(SaleRoster).find(saleId) !== undefined,
    // identity-dev's authorize endpoint is its issuer's /authorize; a real provider's is set explicitly.
    signInUrl:
      config.STOREFRONT_SIGN_IN_URL ??
      (config.CUSTOMER_TOKEN_ISSUER?.startsWith('http')
        ? `${config.CUSTOMER_TOKEN_ISSUER.replace(/\/$/, '')}/authorize`
        : undefined),
  };
  if (!(await serveStorefront(app, storefront))) {
    app.get(Logger).warn(`no storefront built (nx run storefront:build, or STOREFRONT_DIR): serving the API only`);
  }
  await app.listen(config.PORT, config.HOST);
  app.get(Logger).log(`customer-intake listening on http://${config.HOST}:${config.PORT}`);
}

bootstrap().catch((error: unknown) => {
  console.error(`customer-intake: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
