import { CHECKS, type Dashboards, loadDashboardContext, redisProblems, traceLinkProblems } from '../src/checks.ts';
import { checkDashboard, dataPanels, queriesOfType, variableDefaults } from '../src/dashboard.ts';
import { type Dict, dict, list, str } from '../src/json.ts';
import { interpolate, redisCommand } from '../src/redis-query.ts';

let context: Dashboards;
beforeAll(() => {
  context = loadDashboardContext();
});

const sale = () => {
  const dashboard = context.dashboards.find(({ json }) => json['uid'] === 'popup-sale');
  if (!dashboard) throw new Error('no dashboard with uid popup-sale');
  return dashboard;
};
const panel = (title: string) => {
  const found = dataPanels(sale().json).find((candidate) => candidate['title'] === title);
  if (!found) throw new Error(`no panel ${title}`);
  return found;
};

describe('the dashboards', () => {
  it('parse, and pass every check that needs no Redis', () => {
    expect(context.dashboards.map(({ file }) => file)).toContain('grafana/dashboards/popup-sale.json');
    for (const [name, check] of Object.entries(CHECKS)) expect([name, check(context)]).toEqual([name, []]);
  });

  it('have a fixed uid, are read-only, and take the sale from a variable that defaults to popup', () => {
    const { json } = sale();
    expect(json).toMatchObject({ uid: 'popup-sale', id: null, editable: false });
    expect(variableDefaults(json)).toEqual({ sale: 'popup' });
  });

  it("show the original demo's panels, latency, rejections, time to sell out, audit and the orders → traces tables", () => {
    const titles = dataPanels(sale().json).map((candidate) => candidate['title']);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Product Available',
        'Customers Ordering',
        'Orders Processing',
        'Orders Completed',
        'Customers Overflow',
        'Customers Ordering flow',
        'Orders In Queue',
        'Completed Flow',
        'Order latency p50 / p95 / p99',
        'Rejections by reason',
        'Time to sell out',
        'Audit',
        'Alerts',
        'Sale report',
        'Latest completed orders',
        'Latest rejected orders',
      ]),
    );
  });

  it('report a reused panel id, a panel without gridPos or query, a datasource by name or unknown uid, an undefined variable', () => {
    const json: Dict = structuredClone(sale().json);
    const [first, second] = dataPanels(json);
    (second as Dict)['id'] = (first as Dict)['id'];
    delete (first as Dict)['gridPos'];
    (second as Dict)['targets'] = [];
    const third = dataPanels(json)[2] as Dict;
    third['datasource'] = 'Redis';
    dict(list(third['targets'])[0])['datasource'] = { type: 'loki', uid: 'loki' };
    dict(list(dataPanels(json)[3]?.['targets'])[0])['expr'] = 'popup_stock_left{sale="$shop"}';
    json['editable'] = true;
    const problems = checkDashboard({ file: 'x.json', json }, context.datasources).join('\n');
    expect(problems).toMatch(/id \d+ is used twice/);
    expect(problems).toMatch(/gridPos needs integer x, y, w and h/);
    expect(problems).toMatch(/no query/);
    expect(problems).toMatch(/\$\.panels\[\d+\]\.datasource: "Redis" is not a reference by uid/);
    expect(problems).toMatch(/uid loki is not a provisioned datasource/);
    expect(problems).toMatch(/variable \$shop is used but not defined/);
    expect(problems).toMatch(/editable must be false/);
  });
});

describe('Prometheus queries', () => {
  it("go to the provisioned Prometheus, each with an expression (the launcher's dashboard.e2e.spec.ts runs them on a real Prometheus)", () => {
    const queries = context.dashboards.flatMap(({ json }) => queriesOfType(json, context.datasources, 'prometheus'));
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const { panel, target } of queries)
      expect([panel['title'], str(target['expr'])]).toEqual([panel['title'], expect.any(String)]);
  });
});

describe('Redis queries', () => {
  const range = { from: 1000, to: 2000 };
  const vars = { sale: 'popup' };

  it('translate into the command the plugin sends', () => {
    const target = (extra: Dict) => ({ refId: 'A', type: 'command', keyName: '{sale:$sale}:completed', ...extra });
    expect(redisCommand(target({ command: 'xrevrange', start: '-', end: '+', count: 50 }), vars, range)).toEqual([
      'XREVRANGE',
      '{sale:popup}:completed',
      '+',
      '-',
      'COUNT',
      '50',
    ]);
    expect(redisCommand(target({ command: 'xrange' }), vars, range)).toEqual([
      'XRANGE',
      '{sale:popup}:completed',
      '1000-0',
      '2000-0',
    ]);
    expect(redisCommand(target({ command: 'xlen' }), vars, range)).toEqual(['XLEN', '{sale:popup}:completed']);
    expect(
      redisCommand(target({ command: 'hget', keyName: '{sale:${sale}}:state', field: 'left' }), vars, range),
    ).toEqual(['HGET', '{sale:popup}:state', 'left']);
    expect(redisCommand({ refId: 'A', type: 'timeSeries', command: 'ts.range', keyName: 'k' }, vars, range)).toEqual([
      'TS.RANGE',
      'k',
      '1000',
      '2000',
    ]);
  });

  it('refuse a CLI query, an unknown command, a type that does not match, a missing key', () => {
    expect(() => redisCommand({ refId: 'A', type: 'cli', query: 'KEYS *' }, vars, range)).toThrow(/CLI query/);
    expect(() => redisCommand({ refId: 'A', type: 'command', command: 'keys', keyName: 'k' }, vars, range)).toThrow(
      /not one the dashboards use/,
    );
    expect(() => redisCommand({ refId: 'A', type: 'command', command: 'ts.range', keyName: 'k' }, vars, range)).toThrow(
      /type timeSeries/,
    );
    expect(() => redisCommand({ refId: 'A', type: 'command', command: 'xlen' }, vars, range)).toThrow(
      /needs a keyName/,
    );
    expect(redisProblems(context)).toEqual([]);
  });

  it('read the time series the same way with RedisTimeSeries and with the stream fallback', () => {
    const seriesKeys = (command: string) =>
      queriesOfType(sale().json, context.datasources, 'redis-datasource')
        .filter(({ target }) => target['command'] === command && (str(target['keyName']) ?? '').includes(':ts:'))
        .map(({ target }) => interpolate(str(target['keyName']) ?? '', vars))
        .sort();
    expect(seriesKeys('ts.range').length).toBeGreaterThan(0);
    expect(seriesKeys('xrange')).toEqual(seriesKeys('ts.range'));
  });
});

describe('trace links', () => {
  it('open Tempo with a TraceQL query from the trace id column', () => {
    expect(traceLinkProblems(context)).toEqual([]);
    for (const title of ['Latest completed orders', 'Latest rejected orders']) {
      const overrides = list(dict(panel(title)['fieldConfig'])['overrides']).map(dict);
      const links = Object.fromEntries(
        overrides.map((override) => [
          str(dict(override['matcher'])['options']),
          list(dict(list(override['properties'])[0])['value']),
        ]),
      );
      expect(links['traceId']).toEqual([
        expect.objectContaining({ internal: expect.objectContaining({ datasourceUid: 'tempo' }) }),
      ]);
      expect(links['orderId']).toEqual([
        expect.objectContaining({ internal: expect.objectContaining({ datasourceUid: 'tempo' }) }),
      ]);
    }
  });

  it('report a link into another datasource, or without a TraceQL query', () => {
    const json: Dict = structuredClone(sale().json);
    const table = dataPanels(json).find((candidate) => candidate['title'] === 'Latest completed orders') as Dict;
    const links = list(dict(table['fieldConfig'])['overrides'])
      .flatMap((override) => list(dict(override)['properties']).map(dict))
      .filter((property) => property['id'] === 'links')
      .flatMap((property) => list(property['value']).map(dict));
    dict(links[0]?.['internal'])['datasourceUid'] = 'prometheus';
    dict(dict(links[1]?.['internal'])['query'])['queryType'] = 'traceId';
    expect(traceLinkProblems({ ...context, dashboards: [{ file: 'x.json', json }] })).toEqual([
      'x.json panel "Latest completed orders" link "Open the trace in Tempo": does not open a tempo datasource',
      'x.json panel "Latest completed orders" link "Open the trace in Tempo": needs queryType traceql and a query',
    ]);
  });
});
