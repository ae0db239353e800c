import { saleKeys } from '@popup-store/keys';
import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { type Dashboards, loadDashboardContext } from '../src/checks.ts';
import { type PanelQuery, queriesOfType } from '../src/dashboard.ts';
import { fieldLinks, grafanaRegex, interpolateLink, namedFields, transform } from '../src/frames.ts';
import { type Dict, dict, list, str } from '../src/json.ts';
import { type Frame, redisCommand, replyFrame, rowCount, type TimeRange } from '../src/redis-query.ts';
import { createGrafanaUser } from './grafana-user.ts';
import { redisNow } from '@popup-store/gears-client';
import { type PlayedSale, playSale } from '@popup-store/sale-fixture';
import { type SeriesBackend, seriesBackend, writeSeriesSample } from './series-sample.ts';

// Every Redis-datasource query of the dashboards, run against a real Redis after a small sale, as the plugin would
// send it. The time series panels come in two variants: the stream fallback (XRANGE) runs on any Redis; the
// RedisTimeSeries one (TS.RANGE) where the server has the module, which the harness's Redis 8 container does.
// The queries run as Grafana's datasource logs in: the `grafana` user of deploy/redis/users.acl with the password
// deploy/.env gives it, so a command or key the user is not allowed fails with NOPERM.
describe('the Redis queries of the dashboards, after a sale', () => {
  let redis: TestRedis;
  /** Plays the sale and checks the answers: the test Redis's default user. */
  let client: Redis;
  /** Runs the dashboards' queries: the grafana user. */
  let grafana: Redis;
  let grafanaUser: string;
  let played: PlayedSale;
  let backend: SeriesBackend;
  /** The fallback series live under a sale of their own: on Redis 8 the played sale's series keys are time series. */
  let fallbackSale: string;
  let range: TimeRange;
  let context: Dashboards;

  beforeAll(async () => {
    context = loadDashboardContext();
    redis = await startTestRedis();
    client = redis.client();
    played = await playSale(client, saleKeys(`${redis.namespace}-grafana`));
    backend = await seriesBackend(client);
    fallbackSale = `${played.sale.saleId}-fallback`;
    if (backend === 'timeseries') await writeSeriesSample(client, played.sale, played.sale, 'timeseries');
    await writeSeriesSample(client, played.sale, saleKeys(fallbackSale), 'stream');
    const now = await redisNow(client);
    range = { from: now - 15 * 60_000, to: now };
    grafanaUser = `grafana-${redis.namespace}`;
    const login = await createGrafanaUser(client, grafanaUser);
    grafana = redis.client({ ...login, maxRetriesPerRequest: 1 });
    await grafana.ping();
    // Finding out whether Docker is there, and starting a Redis 8 container where it is, can outlast jest's 5 s.
  }, 60_000);

  afterAll(async () => {
    if (grafanaUser) await client?.call('ACL', 'DELUSER', grafanaUser).catch(() => undefined);
    await redis?.dispose();
  });

  const redisQueries = () =>
    context.dashboards.flatMap(({ json }) => queriesOfType(json, context.datasources, 'redis-datasource'));
  const isSeries = ({ target }: PanelQuery) => (str(target['keyName']) ?? '').includes(':ts:');
  const label = ({ panel, target }: PanelQuery) => `${String(panel['title'])} ${String(target['refId'])}`;
  const panelTitled = (title: string) => {
    const found = redisQueries().find(({ panel }) => panel['title'] === title)?.panel;
    if (!found) throw new Error(`no Redis panel ${title}`);
    return found;
  };

  /** What the panel shows: each query's reply as the plugin's frame, through the panel's transformations. */
  async function panelFrames(panel: Dict, sale: string): Promise<Frame[]> {
    const frames = await Promise.all(
      list(panel['targets']).map(async (target) => {
        const command = redisCommand(dict(target), { sale }, range);
        return replyFrame(dict(target), command, await grafana.call(...(command as [string, ...string[]])));
      }),
    );
    return transform(frames, list(panel['transformations']).map(dict));
  }

  it('run as a user that may read the sales’ keys and nothing more', async () => {
    const refused = async (...command: [string, ...string[]]) =>
      grafana.call(...command).then(
        (reply) => `allowed: ${String(reply)}`,
        (error: Error) => error.message,
      );
    expect(await refused('SET', played.sale.report, 'x')).toMatch(/^NOPERM/);
    expect(await refused('XADD', played.sale.alerts, '*', 'k', 'v')).toMatch(/^NOPERM/);
    expect(await refused('FCALL_RO', 'popup_sale_status', '1', played.sale.state)).toMatch(/^NOPERM/);
    expect(await refused('KEYS', '*')).toMatch(/^NOPERM/);
    expect(await refused('GET', 'outside-any-sale')).toMatch(/^NOPERM/);
  });

  it('include the stream, hash and string queries, and both variants of the series', () => {
    const commands = new Set(
      redisQueries().map((query) => `${String(query.target['command'])}${isSeries(query) ? ' series' : ''}`),
    );
    expect([...commands].sort()).toEqual(['get', 'hgetall', 'ts.range series', 'xlen', 'xrange series', 'xrevrange']);
  });

  it('return data for every stream, hash and string panel, with every field the panel names', async () => {
    const queries = redisQueries().filter((query) => !isSeries(query));
    // XLEN answers 0 for a key that does not exist: the key must be there, not merely answer.
    for (const query of queries) {
      const [, key] = redisCommand(query.target, { sale: played.sale.saleId }, range);
      expect([label(query), key, await client.exists(key as string)]).toEqual([label(query), key, 1]);
    }
    const panels = new Set(queries.map(({ panel }) => panel));
    for (const panel of panels) {
      const frames = await panelFrames(panel, played.sale.saleId);
      const title = String(panel['title']);
      expect([title, frames.some((frame) => rowCount(frame) > 0)]).toEqual([title, true]);
      const fields = new Set(frames.flatMap((frame) => frame.fields.map(({ name }) => name)));
      for (const name of namedFields(panel)) expect([title, name, fields.has(name)]).toEqual([title, name, true]);
      // A stat shows the fields its regex picks (strings too); a JSON path that is not in the data shows 'Not Found'.
      const pick = str(dict(dict(panel['options'])['reduceOptions'])['fields']);
      if (pick) expect([title, [...fields].some((name) => grafanaRegex(pick).test(name))]).toEqual([title, true]);
      const values = frames.flatMap((frame) => frame.fields.flatMap(({ values: column }) => column));
      expect([title, values.includes('Not Found')]).toEqual([title, false]);
    }
  });

  it('show live stream lengths, the time to sell out and the audit status', async () => {
    const value = async (title: string, field: string) => {
      const frames = await panelFrames(panelTitled(title), played.sale.saleId);
      return frames.flatMap((frame) => frame.fields).find(({ name }) => name === field)?.values[0];
    };
    const state = await client.hgetall(played.sale.state);
    expect(await value('Customers Ordering', 'Value')).toBe(2);
    expect(await value('Orders Processing', 'Value')).toBe(2);
    expect(await value('Time to sell out', 'time to sell out')).toBe(
      Number(state['soldOutAt']) - Number(state['startsAt']),
    );
    expect(await value('Audit', 'status')).toBe('violated');
    expect(await value('Sale report', 'sold')).toBe(2);
  });

  it('return points for every stream-fallback series (XRANGE over the time range)', async () => {
    const queries = redisQueries().filter((query) => isSeries(query) && query.target['command'] === 'xrange');
    for (const query of queries) {
      const command = redisCommand(query.target, { sale: fallbackSale }, range);
      const frame = replyFrame(query.target, command, await grafana.call(...(command as [string, ...string[]])));
      expect([
        label(query),
        rowCount(frame) > 0,
        frame.fields.find(({ name }) => name === 'value')?.values.every(Number.isFinite),
      ]).toEqual([label(query), true, true]);
    }
  });

  it('return points for every RedisTimeSeries series (TS.RANGE) where the server has RedisTimeSeries', async () => {
    // The spawned Redis 7 has no RedisTimeSeries and nothing here fakes it; the harness's Redis 8 container has it.
    if (redis.source === 'container') expect(backend).toBe('timeseries');
    if (backend !== 'timeseries') return;
    const queries = redisQueries().filter((query) => isSeries(query) && query.target['command'] === 'ts.range');
    for (const query of queries) {
      const command = redisCommand(query.target, { sale: played.sale.saleId }, range);
      const frame = replyFrame(query.target, command, await grafana.call(...(command as [string, ...string[]])));
      expect([label(query), rowCount(frame) > 0]).toEqual([label(query), true]);
    }
  });

  it.each([
    ['Latest completed orders', 'completed'],
    ['Latest rejected orders', 'rejected'],
  ])(
    '%s: each row links to the trace its order was submitted in, with the latency of its decision',
    async (title, stream) => {
      const panel = panelTitled(title);
      const [frame] = await panelFrames(panel, played.sale.saleId);
      const column = (name: string) => frame?.fields.find((field) => field.name === name)?.values ?? [];
      const entries = await client.xrevrange(
        stream === 'completed' ? played.sale.completed : played.sale.rejected,
        '+',
        '-',
      );
      expect(column('orderId')).toHaveLength(entries.length);
      expect(entries.length).toBeGreaterThan(0);

      column('orderId').forEach((orderId, row) => {
        const fields = entries[row]?.[1] ?? [];
        const data = JSON.parse(fields[fields.indexOf('data') + 1] ?? '{}') as Record<string, number>;
        const expected = played.traceIds.get(String(orderId));
        expect(column('latency')[row]).toBe(
          (data['completedAt'] ?? data['decidedAt'] ?? NaN) - (data['submittedAt'] ?? NaN),
        );
        for (const field of ['traceId', 'orderId']) {
          const [link] = fieldLinks(panel, field);
          const query = str(dict(dict(link?.['internal'])['query'])['query']) ?? '';
          expect([orderId, field, interpolateLink(query, frame as Frame, field, row)]).toEqual([
            orderId,
            field,
            expected,
          ]);
        }
      });
    },
  );
});
