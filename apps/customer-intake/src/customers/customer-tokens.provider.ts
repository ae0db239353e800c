import type { Provider } from '@nestjs/common';
import { CustomerTokenVerifier } from '@popup-store/customer-identity';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';

export const CUSTOMER_TOKENS = Symbol('CustomerTokens');

/** The one verifier of customer tokens, with its cache of verified ones. */
export const customerTokensProvider: Provider = {
  provide: CUSTOMER_TOKENS,
  inject: [INTAKE_CONFIG],
  useFactory: (config: IntakeConfig) =>
    new CustomerTokenVerifier({
      ...config.customerTokens,
      audience: config.CUSTOMER_TOKEN_AUDIENCE,
      algorithms: config.CUSTOMER_TOKEN_ALGORITHMS,
      clockToleranceSeconds: config.CUSTOMER_TOKEN_CLOCK_TOLERANCE_SECONDS,
      cacheSize: config.CUSTOMER_TOKEN_CACHE_SIZE,
    }),
};
