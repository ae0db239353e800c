import { z } from 'zod';

/** A boot-time failure that names every environment variable that was wrong, and why. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment variables a process needs, once, at boot. The schema's keys are the
 * variable names; defaults live in the schema so that a bare `npm start` works.
 */
export function readEnv<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const picked: Record<string, string | undefined> = {};
  for (const name of Object.keys(shape)) {
    const value = env[name];
    picked[name] = value === '' ? undefined : value;
  }
  const parsed = z.object(shape).safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return parsed.data;
}
