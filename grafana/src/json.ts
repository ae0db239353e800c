/** Small readers for parsed JSON and YAML, whose shape is only known once checked. */

export type Dict = Record<string, unknown>;

export function isDict(value: unknown): value is Dict {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function dict(value: unknown): Dict {
  return isDict(value) ? value : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
