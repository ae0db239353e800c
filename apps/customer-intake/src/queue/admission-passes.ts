import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { SaleKeys } from '@popup-store/keys';
import { errors, jwtVerify, SignJWT } from 'jose';
import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';
import { refusal } from '../orders/refusal';

/** What a pass or a queue token is for: one cannot stand in for the other. */
type Purpose = 'admission' | 'queue';

/** How long a queue token (which opens a customer's live line updates) lasts. */
const QUEUE_TOKEN_SECONDS = 3600;

export interface AdmissionPass {
  readonly customer: string;
  /** Its id: a pass buys once (see AdmissionGuard). */
  readonly id: string;
  /** When it lapses, ms. */
  readonly expiresAt: number;
}

/**
 * The signed papers of the waiting room, JWTs with jose (HS256): an admission pass, for one customer of one sale,
 * lapsing when the admission does, and a queue token that opens that customer's live line. Every intake of a sale
 * issues and checks the same ones: the key is derived from TICKET_SECRET (HKDF, its own label), so the ticket key
 * is never reused for another purpose.
 */
@Injectable()
export class AdmissionPasses {
  private readonly key: Uint8Array;

  constructor(@Inject(INTAKE_CONFIG) config: IntakeConfig) {
    const secret = config.TICKET_SECRET ? Buffer.from(config.TICKET_SECRET) : randomBytes(32);
    if (!config.TICKET_SECRET) {
      new Logger(AdmissionPasses.name).warn(
        'TICKET_SECRET is unset: admission passes of this process are refused by every other intake',
      );
    }
    // One key for every sale: a pass names its sale, so a pass of another sale is refused for that reason.
    this.key = new Uint8Array(hkdfSync('sha256', secret, '', 'popup-store waiting room', 32));
  }

  /** The pass of a customer admitted to `sale`'s line, lapsing at `until` (ms). */
  issuePass(sale: SaleKeys, customer: string, until: number): Promise<string> {
    return this.sign(sale, 'admission', customer, Math.floor(until / 1000), randomUUID());
  }

  /** The token a customer's live updates of `sale`'s line are opened with. */
  issueQueueToken(sale: SaleKeys, customer: string): Promise<string> {
    return this.sign(sale, 'queue', customer, Math.floor(Date.now() / 1000) + QUEUE_TOKEN_SECONDS);
  }

  /** The pass of `customer` for `sale`, or a 403 naming what is wrong with it. */
  async checkPass(sale: SaleKeys, pass: string, customer: string): Promise<AdmissionPass> {
    const claims = await this.verify(sale, pass, 'admission', 'pass');
    if (claims.sub !== customer) {
      throw refusal(HttpStatus.FORBIDDEN, 'pass_not_yours', 'this admission pass was issued to another customer');
    }
    return { customer, id: claims.jti as string, expiresAt: (claims.exp as number) * 1000 };
  }

  /** The customer a queue token of `sale` was issued to, or a 403. */
  async queueTokenCustomer(sale: SaleKeys, token: string): Promise<string> {
    return (await this.verify(sale, token, 'queue', 'queue_token')).sub as string;
  }

  private sign(sale: SaleKeys, purpose: Purpose, customer: string, exp: number, id?: string): Promise<string> {
    const jwt = new SignJWT({ sale: sale.saleId, use: purpose })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(customer)
      .setExpirationTime(exp);
    return (id ? jwt.setJti(id) : jwt).sign(this.key);
  }

  private async verify(sale: SaleKeys, token: string, purpose: Purpose, what: 'pass' | 'queue_token') {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] });
      if (payload['use'] !== purpose || (purpose === 'admission' && typeof payload.jti !== 'string')) {
        throw refusal(HttpStatus.FORBIDDEN, `${what}_invalid`, `not a ${what.replace('_', ' ')} of this store`);
      }
      if (payload['sale'] !== sale.saleId) {
        throw refusal(HttpStatus.FORBIDDEN, `${what}_other_sale`, `this ${what.replace('_', ' ')} is for another sale`);
      }
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw refusal(
          HttpStatus.FORBIDDEN,
          `${what}_expired`,
          `this ${what.replace('_', ' ')} has lapsed: join the line again`,
        );
      }
      if (error instanceof errors.JOSEError) {
        throw refusal(HttpStatus.FORBIDDEN, `${what}_invalid`, `not a ${what.replace('_', ' ')} of this store`);
      }
      throw error;
    }
  }
}
