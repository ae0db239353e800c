import {
  DEAD_LETTER_ERROR_MAX,
  DEAD_LETTER_FIELDS_MAX,
  DEAD_LETTER_VALUE_MAX,
  deadLetterContract,
  orderContract,
  type DeadLetter,
} from '@popup-store/contracts';
import { z } from 'zod';
import type { OrderToDecide } from './functions/decide-orders';

export type OrderEntryParse =
  | { readonly ok: true; readonly order: OrderToDecide }
  | { readonly ok: false; readonly error: string; readonly fields: Readonly<Record<string, string>> };

/**
 * Reads an orders-stream entry (`v`, `data`, optional `traceparent`, `tracestate`) into what
 * `popup_decide_orders` takes; what breaks the order contract goes to the dead-letter stream, not into Redis.
 */
export function parseOrderEntry(entryId: string, flat: readonly string[]): OrderEntryParse {
  const fields: Record<string, string> = {};
  let duplicate: string | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] as string;
    // A field written twice (any XADD can) would make defining it throw, and the entry a poison pill that
    // blocks every order read with it: it is dead-lettered like the transport does.
    if (Object.hasOwn(fields, name)) duplicate ??= name;
    else Object.defineProperty(fields, name, { value: flat[i + 1], enumerable: true });
  }
  const fail = (error: string): OrderEntryParse => ({ ok: false, error, fields });
  if (duplicate !== undefined) return fail(`field "${duplicate}" appears more than once`);
  if (fields['v'] !== String(orderContract.version)) return fail(`order contract v${fields['v']} is not supported`);
  let json: unknown;
  try {
    json = JSON.parse(fields['data'] ?? '');
  } catch {
    return fail('data is not JSON');
  }
  const payload = orderContract.schema.safeParse(json);
  if (!payload.success) return fail(z.prettifyError(payload.error));
  const { orderId, customerId, submittedAt, customerEntryId } = payload.data;
  const { traceparent, tracestate } = fields;
  return {
    ok: true,
    order: {
      entryId,
      orderId,
      customerId,
      submittedAt,
      customerEntryId,
      ...(traceparent ? { traceparent } : {}),
      ...(traceparent && tracestate ? { tracestate } : {}),
    },
  };
}

/** The fields of a dead-letter entry (contract `dead-letter` v1), cut to the contract's bounds. */
export function deadLetterFields(
  source: Pick<DeadLetter, 'stream' | 'id' | 'group' | 'consumer' | 'deliveries'>,
  refused: { readonly error: string; readonly fields: Readonly<Record<string, string>> },
): string[] {
  const entries = Object.entries(refused.fields).filter(([name]) => name.length <= 256);
  const kept = entries.slice(0, DEAD_LETTER_FIELDS_MAX);
  const letter: DeadLetter = {
    ...source,
    error: refused.error.slice(0, DEAD_LETTER_ERROR_MAX),
    fields: Object.fromEntries(kept.map(([name, value]) => [name, value.slice(0, DEAD_LETTER_VALUE_MAX)])),
    truncated:
      kept.length < Object.keys(refused.fields).length || kept.some(([, value]) => value.length > DEAD_LETTER_VALUE_MAX),
    deadAt: Date.now(),
  };
  return ['v', String(deadLetterContract.version), 'data', JSON.stringify(deadLetterContract.schema.parse(letter))];
}
