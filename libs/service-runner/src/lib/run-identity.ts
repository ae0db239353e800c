import { CustomerTokenSigner, generateSigningKey, type SigningKey } from '@popup-store/customer-identity';
import { randomBytes } from 'node:crypto';

/** The process customers sign in at when the store runs here; its entry is in `PROCESSES`. */
export const IDENTITY_PROVIDER = 'identity-dev';

/** The `iss` of a run's tokens when it runs no identity provider: customer-intake then trusts the run's key itself. */
const ISSUER_WITHOUT_PROVIDER = 'http://identity.local';

const AUDIENCE = 'popup-store';

/**
 * Who signs one run's customers in. The run makes its own key pair: identity-dev signs with it, and so do the crowd
 * and the bench's load (the same key, no HTTP request per customer), so every order of a run still goes through
 * customer-intake's real verification.
 */
export interface RunIdentity {
  /** The `iss` of the run's tokens: identity-dev's URL when it runs. */
  readonly issuer: string;
  readonly audience: string;
  /** The private key as a JWK, for a process that signs customers in itself. */
  readonly signingKey: string;
  /** `Bearer <token>` of the customer signed in as `name`. */
  bearer(name: string): Promise<string>;
}

/** A run's key pair and ticket secret, and what each process is told of them. */
export class RunIdentityKeys {
  private constructor(
    private readonly key: SigningKey,
    /** customer-intake's TICKET_SECRET: one per run, so a ticket reads the same after intake restarts. */
    private readonly ticketSecret: string,
  ) {}

  static async create(): Promise<RunIdentityKeys> {
    return new RunIdentityKeys(await generateSigningKey(), randomBytes(32).toString('base64url'));
  }

  /**
   * What each process is told. `issuer` is identity-dev's URL, told to customer-intake with its key set, when the
   * run has it; without it, customer-intake trusts the run's public key directly.
   */
  envOf(issuer: string | undefined): Record<string, NodeJS.ProcessEnv> {
    return {
      [IDENTITY_PROVIDER]: { IDENTITY_SIGNING_KEY: JSON.stringify(this.key.privateJwk), IDENTITY_AUDIENCE: AUDIENCE },
      'customer-intake': {
        TICKET_SECRET: this.ticketSecret,
        CUSTOMER_TOKEN_AUDIENCE: AUDIENCE,
        ...(issuer
          ? {}
          : { CUSTOMER_TOKEN_ISSUER: ISSUER_WITHOUT_PROVIDER, CUSTOMER_TOKEN_PUBLIC_KEY: JSON.stringify(this.key.publicJwk) }),
      },
    };
  }

  identity(issuer = ISSUER_WITHOUT_PROVIDER): RunIdentity {
    const signer = new CustomerTokenSigner({ key: this.key, issuer, audience: AUDIENCE, ttlSeconds: 3600 });
    return {
      issuer,
      audience: AUDIENCE,
      signingKey: JSON.stringify(this.key.privateJwk),
      bearer: async (name) => `Bearer ${(await signer.sign(name)).accessToken}`,
    };
  }
}
