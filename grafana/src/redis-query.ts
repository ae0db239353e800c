import { type Dict, list, str } from './json.ts';

// The query model and replies of the Redis datasource plugin (grafana.com `redis-datasource`) 2.2.0, the version the
// dashboards are written for: src/redis/types.ts for the model, pkg/query.go and pkg/redis-*.go for what the backend
// sends and the frames it builds.

/** The dashboard's time range, in ms since the epoch. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** A column of a Grafana data frame. */
export interface Field {
  readonly name: string;
  readonly values: unknown[];
}

/** A Grafana data frame: named columns of equal length. */
export interface Frame {
  readonly refId: string;
  readonly fields: Field[];
}

/**
 * The commands the dashboards use, with the `type` the plugin's query editor stores for each: RedisTimeSeries
 * commands under `timeSeries`, core commands under `command`.
 */
const COMMAND_TYPES: Record<string, string> = {
  'ts.range': 'timeSeries',
  xrange: 'command',
  xrevrange: 'command',
  xlen: 'command',
  hgetall: 'command',
  hget: 'command',
  get: 'command',
};

/** `$name` and `${name}` (with an optional `:format`), as Grafana's template service replaces them. */
export function interpolate(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\{(\w+)(?::[^}]*)?\}|(\w+))/g, (whole, braced?: string, bare?: string) => {
    const value = variables[(braced ?? bare) as string];
    return value ?? whole;
  });
}

/**
 * The command line the plugin's backend sends for a target (`pkg/query.go` and the command handlers of 2.2.0), after
 * the frontend replaced the variables in `keyName` and `field`. XRANGE and XREVRANGE fall back to the dashboard's
 * time range (`<ms>-0`) when Start or End is empty; TS.RANGE always reads the time range. Throws on what the
 * dashboards must not use: a CLI query (`query`, sent verbatim), a command not listed here, a `type` that does not
 * match the command, a missing key.
 */
export function redisCommand(target: Dict, variables: Readonly<Record<string, string>>, range: TimeRange): string[] {
  const command = str(target['command']) ?? '';
  const refId = str(target['refId']) ?? '?';
  if (str(target['query'])) throw new Error(`${refId}: a CLI query (query) is sent verbatim; use command and keyName`);
  const type = COMMAND_TYPES[command];
  if (!type)
    throw new Error(
      `${refId}: command ${JSON.stringify(command)} is not one the dashboards use (${Object.keys(COMMAND_TYPES).join(', ')})`,
    );
  if (target['type'] !== type)
    throw new Error(`${refId}: ${command} is stored with type ${type}, not ${JSON.stringify(target['type'])}`);
  const key = interpolate(str(target['keyName']) ?? '', variables);
  if (!key) throw new Error(`${refId}: ${command} needs a keyName`);

  const count = Number(target['count'] ?? 0) > 0 ? ['COUNT', String(target['count'])] : [];
  const start = str(target['start']) || `${range.from}-0`;
  const end = str(target['end']) || `${range.to}-0`;
  switch (command) {
    case 'ts.range': {
      const aggregation = str(target['aggregation'])
        ? ['AGGREGATION', String(target['aggregation']), String(target['bucket'])]
        : [];
      return ['TS.RANGE', key, String(range.from), String(range.to), ...aggregation];
    }
    case 'xrange':
      return ['XRANGE', key, start, end, ...count];
    case 'xrevrange':
      return ['XREVRANGE', key, end, start, ...count];
    case 'hget': {
      const field = interpolate(str(target['field']) ?? '', variables);
      if (!field) throw new Error(`${refId}: hget needs a field`);
      return ['HGET', key, field];
    }
    default:
      return [command.toUpperCase(), key];
  }
}

/** Numbers stay numbers, as the plugin parses every value it can into a float. */
function parsed(value: string): string | number {
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) ? number : value;
}

/**
 * The data frame the plugin builds from a reply: TS.RANGE → `time` and a column named by `legend` (else the key);
 * XRANGE/XREVRANGE → `$streamId`, `$time` (the id's milliseconds) and one column per entry field; HGETALL → one row,
 * a column per hash field; HGET → a column named by the field; XLEN and GET → a column `Value`.
 */
export function replyFrame(target: Dict, command: readonly string[], reply: unknown): Frame {
  const refId = str(target['refId']) ?? '?';
  const name = (command[0] as string).toLowerCase();
  if (name === 'ts.range') {
    const rows = list(reply).map(list);
    const legend = str(target['legend']) || (command[1] as string);
    return {
      refId,
      fields: [
        { name: 'time', values: rows.map(([time]) => Number(time)) },
        { name: legend, values: rows.map(([, value]) => Number(value)) },
      ],
    };
  }
  if (name === 'xrange' || name === 'xrevrange') {
    const entries = list(reply).map(list);
    const columns = new Map<string, unknown[]>();
    entries.forEach(([, flat], row) => {
      const pairs = list(flat).map(String);
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const column = columns.get(pairs[i] as string) ?? new Array<unknown>(entries.length).fill(undefined);
        column[row] = parsed(pairs[i + 1] as string);
        columns.set(pairs[i] as string, column);
      }
    });
    return {
      refId,
      fields: [
        { name: '$streamId', values: entries.map(([id]) => String(id)) },
        { name: '$time', values: entries.map(([id]) => Number(String(id).split('-')[0])) },
        ...[...columns].map(([field, values]) => ({ name: field, values })),
      ],
    };
  }
  if (name === 'hgetall') {
    const pairs = list(reply).map(String);
    const fields: Field[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2)
      fields.push({ name: pairs[i] as string, values: [parsed(pairs[i + 1] as string)] });
    return { refId, fields };
  }
  const column = name === 'hget' ? (command[2] as string) : 'Value';
  return { refId, fields: reply === null ? [] : [{ name: column, values: [parsed(String(reply))] }] };
}

/** Rows in a frame: the length of its columns. */
export function rowCount(frame: Frame): number {
  return Math.max(0, ...frame.fields.map((field) => field.values.length));
}
