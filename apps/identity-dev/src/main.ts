import { generateSigningKey, importSigningKey } from '@popup-store/customer-identity';
import { identityConfig } from './app/identity-config';
import { identityServer } from './app/identity-server';

async function main(): Promise<void> {
  const config = identityConfig();
  const key = config.IDENTITY_SIGNING_KEY
    ? await importSigningKey(config.IDENTITY_SIGNING_KEY)
    : await generateSigningKey();
  const app = await identityServer(config, key);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  app.log.info(`identity-dev: issuer ${config.issuer}, key ${key.publicJwk.kid} (${key.alg})`);
}

main().catch((error: unknown) => {
  console.error(`identity-dev: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
