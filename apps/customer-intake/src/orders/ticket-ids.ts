import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac, createSecretKey, randomBytes, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { INTAKE_CONFIG, type IntakeConfig } from '../app/intake-config';

/** Bytes of the random part and of the HMAC: 128 bits each, 22 base64url characters. */
const BYTES = 16;
const TICKET = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;
/** Nonces drawn from the system's random source at once: one call per 256 tickets instead of one each. */
const POOLED = 256;

/**
 * Ticket ids that prove whose they are: `<nonce>.<HMAC(secret, nonce, customer)>`. Only the customer who got a
 * ticket can read it, an id never issued fails the check, and neither costs a Redis write per order (the
 * ticket is the proof; nothing has to remember who owns it).
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

  /** A fresh ticket id of `customer`. */
  issue(customer: string): string {
    if (this.drawn === POOLED) {
      randomFillSync(this.nonces);
      this.drawn = 0;
    }
    const nonce = this.nonces.subarray(this.drawn * BYTES, ++this.drawn * BYTES);
    return this.sealed(nonce.toString('base64url'), customer);
  }

  /**
   * The ticket id of `customer`'s order under an `Idempotency-Key`: the same key from the same customer always
   * gives the same id, so concurrent retries name one order.
   */
  forIdempotencyKey(customer: string, key: string): string {
    const nonce = this.mac(`idempotency\n${customer}\n${key}`).subarray(0, BYTES).toString('base64url');
    return this.sealed(nonce, customer);
  }

  /** Whether `id` is a ticket this store issued to `customer`. */
  belongsTo(id: string, customer: string): boolean {
    const parts = TICKET.exec(id);
    if (!parts) return false;
    const expected = this.mac(`ticket\n${parts[1]}\n${customer}`).subarray(0, BYTES);
    const given = Buffer.from(parts[2] as string, 'base64url');
    return given.length === BYTES && timingSafeEqual(given, expected);
  }

  private sealed(nonce: string, customer: string): string {
    return `${nonce}.${this.mac(`ticket\n${nonce}\n${customer}`).subarray(0, BYTES).toString('base64url')}`;
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.secret).update(text).digest();
  }
}
