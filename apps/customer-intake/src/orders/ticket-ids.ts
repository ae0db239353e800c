import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac, createSecretKey, randomBytes, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { SaleKeys } from '@popup-store/keys';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';

/** Bytes of the random part and of the HMAC: 128 bits each, 22 base64url characters. */
const BYTES = 16;
/** `<run>.<nonce>.<mac>`: the run the ticket was issued in, then what proves it. */
const TICKET = /^([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;
/** Nonces drawn from the system's random source at once: one call per 256 tickets instead of one each. */
const POOLED = 256;

/**
 * Ticket ids that prove whose they are, for which sale, and in which run of it:
 * `<run>.<nonce>.<HMAC(secret, sale, run, nonce, customer)>`. Only the customer who got a ticket can read it, and
 * only under its sale; an id never issued fails the check, and neither costs a Redis write per order (the ticket
 * is the proof; nothing has to remember who owns it). The run says where its decision lies once the sale started
 * over (docs/keys.md).
 */
@Injectable()
export class TicketIds {
  /** A KeyObject made once: given a Buffer, every createHmac would first check (costly) whether it is one. */
  private readonly secret: KeyObject;
  private readonly nonces = Buffer.alloc(BYTES * POOLED);
  private drawn = POOLED;

  constructor(@Inject(INTAKE_CONFIG) config: IntakeConfig) {
    if (config.TICKET_SECRET) {
      this.secret = createSecretKey(Buffer.from(config.TICKET_SECRET));
    } else {
      this.secret = createSecretKey(randomBytes(32));
      new Logger(TicketIds.name).warn(
        'TICKET_SECRET is unset: a random one is used, and tickets issued before a restart will read 404',
      );
    }
  }

  /** A fresh ticket id of `customer` in run `run` of `sale`. */
  issue(sale: SaleKeys, run: number, customer: string): string {
    if (this.drawn === POOLED) {
      randomFillSync(this.nonces);
      this.drawn = 0;
    }
    const nonce = this.nonces.subarray(this.drawn * BYTES, ++this.drawn * BYTES);
    return this.sealed(sale, run, nonce.toString('base64url'), customer);
  }

  /**
   * The ticket id of `customer`'s order under an `Idempotency-Key`: the same key from the same customer always
   * gives the same id, so concurrent retries name one order.
   */
  forIdempotencyKey(sale: SaleKeys, run: number, customer: string, key: string): string {
    const nonce = this.mac(`idempotency\n${sale.saleId}\n${run}\n${customer}\n${key}`)
      .subarray(0, BYTES)
      .toString('base64url');
    return this.sealed(sale, run, nonce, customer);
  }

  /** The run of `id` if it is a ticket this store issued to `customer` for `sale`, else undefined. */
  runOf(id: string, sale: SaleKeys, customer: string): number | undefined {
    const parts = TICKET.exec(id);
    if (!parts) return undefined;
    const run = Number(parts[1]);
    const expected = this.proof(sale, run, parts[2] as string, customer);
    const given = Buffer.from(parts[3] as string, 'base64url');
    return given.length === BYTES && timingSafeEqual(given, expected) ? run : undefined;
  }

  private sealed(sale: SaleKeys, run: number, nonce: string, customer: string): string {
    return `${run}.${nonce}.${this.proof(sale, run, nonce, customer).toString('base64url')}`;
  }

  private proof(sale: SaleKeys, run: number, nonce: string, customer: string): Buffer {
    return this.mac(`ticket\n${sale.saleId}\n${run}\n${nonce}\n${customer}`).subarray(0, BYTES);
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.secret).update(text).digest();
  }
}
