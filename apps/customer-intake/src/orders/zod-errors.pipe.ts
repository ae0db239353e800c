import { HttpStatus } from '@nestjs/common';
import { createZodValidationPipe } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { refusal } from './refusal';

/** Validates zod DTOs; a 400 names the first field that is wrong and why. */
export const ZodErrorsPipe = createZodValidationPipe({
  createValidationException: (error: unknown) => {
    const issue = (error as ZodError).issues[0];
    const field = issue?.path.join('.') || 'body';
    return refusal(HttpStatus.BAD_REQUEST, 'invalid', `${field}: ${issue?.message ?? 'invalid'}`, { field });
  },
});
