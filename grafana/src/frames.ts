import { type Dict, dict, list, str } from './json.ts';
import type { Field, Frame } from './redis-query.ts';

/**
 * Grafana's `stringToJsRegex`: `/pattern/flags` is a regular expression; the extractFields RegExp format takes
 * only that form.
 */
export function grafanaRegex(text: string): RegExp {
  const match = /^\/(.*?)\/(g?i?m?y?s?)$/.exec(text);
  if (!match) throw new Error(`${JSON.stringify(text)} is not a /pattern/flags regular expression`);
  return new RegExp(match[1] as string, match[2]);
}

function field(frame: Frame, name: string): Field | undefined {
  return frame.fields.find((candidate) => candidate.name === name);
}

/** A row's values from the source column, parsed by the extractor; undefined where a row gives nothing. */
function extracted(options: Dict, values: readonly unknown[]): (Dict | undefined)[] {
  const format = str(options['format']);
  if (format === 'json') {
    const paths = list(options['jsonPaths']).map(dict);
    return values.map((value) => {
      const object = dict(typeof value === 'string' ? JSON.parse(value) : value);
      if (paths.length === 0) return object;
      return Object.fromEntries(
        paths.map((path) => {
          const at = str(path['path']) as string;
          const found = at.split('.').reduce<unknown>((node, key) => dict(node)[key], object);
          return [str(path['alias']) || at, found ?? 'Not Found'];
        }),
      );
    });
  }
  if (format === 'regexp') {
    const regex = grafanaRegex(str(options['regExp']) ?? '');
    return values.map((value) => (typeof value === 'string' ? value.match(regex)?.groups : undefined));
  }
  throw new Error(`extractFields format ${JSON.stringify(format)} is not simulated here`);
}

function extractFields(frame: Frame, options: Dict): Frame {
  const source = field(frame, str(options['source']) ?? '');
  if (!source) return frame;
  const rows = extracted(options, source.values);
  const columns = new Map<string, unknown[]>();
  rows.forEach((row, index) => {
    for (const [name, value] of Object.entries(row ?? {})) {
      const column = columns.get(name) ?? new Array<unknown>(rows.length).fill(undefined);
      column[index] = value;
      columns.set(name, column);
    }
  });
  const added = [...columns].map(([name, values]) => ({ name, values }));
  return { ...frame, fields: options['replace'] ? added : [...frame.fields, ...added] };
}

const OPERATORS: Record<string, (left: number, right: number) => number> = {
  '+': (left, right) => left + right,
  '-': (left, right) => left - right,
  '*': (left, right) => left * right,
  '/': (left, right) => left / right,
};

function operand(frame: Frame, value: Dict): unknown[] | undefined {
  const matcher = dict(value['matcher']);
  if (matcher['id'] !== 'byName')
    throw new Error(`calculateField operand ${JSON.stringify(value)} is not simulated here`);
  return field(frame, str(matcher['options']) ?? '')?.values;
}

/** A frame without one of the operands is left alone (or dropped with replaceFields), as Grafana does. */
function calculateField(frame: Frame, options: Dict): Frame | undefined {
  if (options['mode'] !== 'binary')
    throw new Error(`calculateField mode ${JSON.stringify(options['mode'])} is not simulated here`);
  // Otherwise Grafana first joins every frame on its time field, which a table of stream entries must not do.
  if (options['timeSeries'] !== false) throw new Error('calculateField needs timeSeries: false here');
  const binary = dict(options['binary']);
  const operation = OPERATORS[str(binary['operator']) ?? ''];
  if (!operation)
    throw new Error(`calculateField operator ${JSON.stringify(binary['operator'])} is not simulated here`);
  const left = operand(frame, dict(binary['left']));
  const right = operand(frame, dict(binary['right']));
  if (!left || !right) return options['replaceFields'] ? undefined : frame;
  const result = {
    name: str(options['alias']) as string,
    values: left.map((value, i) => operation(Number(value), Number(right[i]))),
  };
  return { ...frame, fields: options['replaceFields'] ? [result] : [...frame.fields, result] };
}

function organize(frame: Frame, options: Dict): Frame {
  const excluded = dict(options['excludeByName']);
  const renamed = dict(options['renameByName']);
  const order = dict(options['indexByName']);
  const position = (name: string) => Number(order[name] ?? Number.MAX_SAFE_INTEGER);
  return {
    ...frame,
    fields: frame.fields
      .filter(({ name }) => excluded[name] !== true)
      .sort((a, b) => position(a.name) - position(b.name))
      .map(({ name, values }) => ({ name: str(renamed[name]) || name, values })),
  };
}

/**
 * The panel's transformations, applied as Grafana 11+ applies the ones these dashboards use (extractFields with JSON
 * or RegExp, calculateField binary, organize). Anything else throws, so a new transformation gets simulated here
 * before a test can vouch for it.
 */
export function transform(frames: readonly Frame[], transformations: readonly Dict[]): Frame[] {
  let out = [...frames];
  for (const transformation of transformations) {
    if (transformation['disabled'] === true) continue;
    const options = dict(transformation['options']);
    switch (transformation['id']) {
      case 'extractFields':
        out = out.map((frame) => extractFields(frame, options));
        break;
      case 'calculateField':
        out = out.flatMap((frame) => calculateField(frame, options) ?? []);
        break;
      case 'organize':
        out = out.map((frame) => organize(frame, options));
        break;
      default:
        throw new Error(`transformation ${JSON.stringify(transformation['id'])} is not simulated here`);
    }
  }
  return out;
}

/** The data links on a field: the panel's default links and those of overrides matching the field by name. */
export function fieldLinks(panel: Dict, fieldName: string): Dict[] {
  const config = dict(panel['fieldConfig']);
  const overrides = list(config['overrides'])
    .map(dict)
    .filter(
      (override) => dict(override['matcher'])['id'] === 'byName' && dict(override['matcher'])['options'] === fieldName,
    )
    .flatMap((override) => list(override['properties']).map(dict))
    .filter((property) => property['id'] === 'links');
  return [...list(dict(config['defaults'])['links']), ...overrides.flatMap((property) => list(property['value']))].map(
    dict,
  );
}

/** Grafana's data-link variables for one cell: `${__value.raw}` and `${__data.fields.<name>}` of the same row. */
export function interpolateLink(text: string, frame: Frame, fieldName: string, row: number): string {
  const valueOf = (name: string) => {
    const value = field(frame, name)?.values[row];
    return value === undefined || value === null ? '' : String(value);
  };
  return text
    .replace(/\$\{__value\.raw\}/g, () => valueOf(fieldName))
    .replace(/\$\{__data\.fields\.(\w+)\}/g, (_, name: string) => valueOf(name));
}

/** Every field name the panel's overrides and table sort refer to. */
export function namedFields(panel: Dict): string[] {
  const overrides = list(dict(panel['fieldConfig'])['overrides'])
    .map((override) => dict(dict(override)['matcher']))
    .filter((matcher) => matcher['id'] === 'byName')
    .map((matcher) => str(matcher['options']) ?? '');
  const sorts = list(dict(panel['options'])['sortBy']).map((sort) => str(dict(sort)['displayName']) ?? '');
  return [...overrides, ...sorts];
}
