import { field } from '@popup-store/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/** The contracts' range for times, which the gears' integer arguments and the sale's entries can carry exactly. */
const epochMs = field.epochMs;

/** `PUT /api/admin/sale`: stock and window; the window starts now and lasts `durationSeconds` unless given. */
export class SaleSettingsDto extends createZodDto(
  z
    .strictObject({
      units: z.int().min(0).max(100_000_000),
      startsAt: epochMs.optional(),
      endsAt: epochMs.optional(),
      durationSeconds: z
        .int()
        .min(1)
        .max(31 * 24 * 3600)
        .optional(),
      /** Start over a sale that sold units already: its buyers and decisions are deleted. */
      force: z.boolean().optional(),
    })
    .refine(
      (s) => s.endsAt === undefined || s.durationSeconds === undefined,
      'give endsAt or durationSeconds, not both',
    )
    .refine((s) => s.endsAt === undefined || s.endsAt > (s.startsAt ?? 0), 'endsAt must be after startsAt'),
) {}

/** `PUT /api/admin/sale/state`: the operator's switch. */
export class SaleStateDto extends createZodDto(z.strictObject({ state: z.enum(['open', 'closed']) })) {}
