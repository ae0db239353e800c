import {
  DEAD_LETTER_ERROR_MAX,
  DEAD_LETTER_FIELDS_MAX,
  DEAD_LETTER_VALUE_MAX,
  type DeadLetter,
} from '@popup-store/contracts';

/** Where an entry came from, for its dead letter. */
export interface EntrySource {
  stream: string;
  id: string;
  group: string;
  consumer: string;
}

/**
 * The dead letter for an entry the transport gives up on. The original fields are kept, cut to the contract's
 * bounds (with `truncated` set), so that a huge or hostile entry cannot make an even bigger dead letter.
 */
export function deadLetterFor(
  source: EntrySource,
  fields: Readonly<Record<string, string>>,
  error: string,
  deliveries: number,
): DeadLetter {
  const kept: Record<string, string> = {};
  let count = 0;
  let truncated = false;
  for (const [name, value] of Object.entries(fields)) {
    if (count === DEAD_LETTER_FIELDS_MAX || name.length > 256) {
      truncated = true;
      continue;
    }
    count++;
    if (value.length > DEAD_LETTER_VALUE_MAX) truncated = true;
    // defineProperty, not assignment: a field named "__proto__" must stay a field.
    Object.defineProperty(kept, name, { value: value.slice(0, DEAD_LETTER_VALUE_MAX), enumerable: true });
  }
  return {
    ...source,
    error: error.slice(0, DEAD_LETTER_ERROR_MAX),
    deliveries,
    fields: kept,
    truncated,
    deadAt: Date.now(),
  };
}
