import { startTestRedis, type TestRedis } from '@popup-store/redis-harness';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshSale, redisNow } from '../../../test/sale-fixture';
import { GearsError } from '../gears-error';
import { loadGears } from '../load-gears';
import { SaleGears } from '../sale-gears';
import { ROOM_DEFAULTS, type RoomSettings } from './waiting-room';

const customers = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('the waiting room (popup_room_*)', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = redis.client();
    await loadGears(client);
  });
  afterAll(() => redis.dispose());

  /** A sale open now (or opening in `opensInMs`) with its room on. */
  async function roomSale(settings: Partial<RoomSettings> = {}, opensInMs = 0, stock = 1000): Promise<SaleGears> {
    const gears = new SaleGears(client, freshSale(redis.namespace));
    const now = await redisNow(client);
    await gears.configure({ stock, startsAt: now + opensInMs, endsAt: now + opensInMs + 600_000 });
    await gears.configureRoom({ ...ROOM_DEFAULTS, on: true, admitPerSecond: 50, ...settings });
    return gears;
  }

  /** Watches `who` every `everyMs` until every one of them is admitted; each one's admission time. */
  async function admissions(gears: SaleGears, who: string[], everyMs = 20, timeoutMs = 20_000) {
    const admitMs = Number(await client.hget(gears.sale.room.settings, 'admitMs'));
    const admittedAt = new Map<string, number>();
    const started = Date.now();
    while (admittedAt.size < who.length) {
      if (Date.now() - started > timeoutMs) throw new Error(`${admittedAt.size} of ${who.length} admitted`);
      const watch = await gears.watchRoom(await gears.status(), who);
      watch.customers.forEach((w, i) => {
        if (w.where === 'admitted') {
          const seen = admittedAt.get(who[i] as string);
          // Admitted once: the time never changes once given.
          if (seen !== undefined) expect(w.until - admitMs).toBe(seen);
          admittedAt.set(who[i] as string, w.until - admitMs);
        }
      });
      await sleep(everyMs);
    }
    return admittedAt;
  }

  it('says off while the room is off: orders need no admission', async () => {
    const gears = await roomSale({ on: false });
    expect((await gears.joinRoom(await gears.status(), 'ada')).whereabouts).toEqual({ where: 'off' });
    expect(await client.zcard(gears.sale.room.line)).toBe(0);
  });

  it('admits in arrival order, each customer once, never faster than the rate', async () => {
    const rate = 40;
    const gears = await roomSale({ admitPerSecond: rate });
    const line = customers('fifo', 60);
    const aheads: number[] = [];
    for (const customer of line) {
      const answer = await gears.joinRoom(await gears.status(), customer);
      if (answer.whereabouts.where === 'waiting') aheads.push(answer.whereabouts.ahead);
      else expect(answer.whereabouts.where).toBe('admitted');
    }
    // Joining again is asking again: no second place.
    const again = await gears.joinRoom(await gears.status(), line[59] as string);
    expect(['waiting', 'admitted']).toContain(again.whereabouts.where);
    expect(await client.hget(gears.sale.room.settings, 'joined')).toBe('60');

    const firstTick = Number(await client.hget(gears.sale.room.settings, 'lastTickAt'));
    const admittedAt = await admissions(gears, line);
    const times = line.map((c) => admittedAt.get(c) as number);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
    // By any moment t, at most rate × (t − first call) + one second's credit were admitted.
    for (const [i, at] of times.entries())
      expect(i + 1).toBeLessThanOrEqual(((at - firstTick) * rate) / 1000 + rate + 1);
    const status = await gears.roomStatus();
    expect(status).toMatchObject({ on: true, joined: 60, admitted: 60, waiting: 0, abandoned: 0 });
    expect(await client.hlen(gears.sale.room.admitted)).toBe(60);
  });

  it('keeps one line for two intake processes joining at once, each customer placed once', async () => {
    const one = await roomSale({ admitPerSecond: 30 });
    const other = new SaleGears(redis.client(), one.sale);
    const line = customers('two', 120);
    // Every customer joins three times at once, through either process.
    await Promise.all(
      line.flatMap((c, i) =>
        [one, other, i % 2 ? one : other].map(async (gears) => gears.joinRoom(await gears.status(), c)),
      ),
    );
    const positions = await client.zrange(one.sale.room.line, 0, -1, 'WITHSCORES');
    const admittedNow = await client.hlen(one.sale.room.admitted);
    expect(positions.length / 2 + admittedNow).toBe(120);
    expect(await client.hget(one.sale.room.settings, 'joined')).toBe('120');
    // Each process watches half; admissions follow the one line's order.
    const order = new Map(line.map((c) => [c, Number.POSITIVE_INFINITY]));
    for (let i = 0; i < positions.length; i += 2) order.set(positions[i] as string, Number(positions[i + 1]));
    const [a, b] = await Promise.all([admissions(one, line.slice(0, 60)), admissions(other, line.slice(60))]);
    const byPosition = [...a, ...b]
      .filter(([c]) => Number.isFinite(order.get(c)))
      .sort(([x], [y]) => (order.get(x) as number) - (order.get(y) as number));
    for (let i = 1; i < byPosition.length; i++)
      expect((byPosition[i] as [string, number])[1]).toBeGreaterThanOrEqual((byPosition[i - 1] as [string, number])[1]);
    expect((await one.roomStatus()).admitted).toBe(120);
  });

  it('shuffles the early arrivals at the opening, and places later arrivals behind them all', async () => {
    const gears = await roomSale({ admitPerSecond: 1 }, 1500);
    const early = customers('early', 200);
    for (const customer of early)
      expect((await gears.joinRoom(await gears.status(), customer)).whereabouts).toEqual({ where: 'early' });
    const watched = await gears.watchRoom(await gears.status(), early.slice(0, 3));
    expect(watched).toMatchObject({ phase: 'scheduled', early: 200, waiting: 0 });
    expect(watched.customers).toEqual([{ where: 'early' }, { where: 'early' }, { where: 'early' }]);

    const opensAt = Number(await client.hget(gears.sale.state, 'startsAt'));
    await sleep(Math.max(0, opensAt - (await redisNow(client))) + 50);
    const late = await gears.joinRoom(await gears.status(), 'late');
    // Behind all 200, less whoever the rate (1/s) admitted since the opening.
    const admitted = await client.hlen(gears.sale.room.admitted);
    expect(admitted).toBeLessThanOrEqual(1);
    expect(late.whereabouts).toEqual({ where: 'waiting', ahead: 200 - admitted });
    const positions = await Promise.all(early.map((c) => client.zscore(gears.sale.room.line, c)));
    // An admitted one has left the line: it had position 1.
    const ranks = positions.map((p) => (p === null ? 1 : Number(p)));
    expect([...ranks].sort((a, b) => a - b)).toEqual(early.map((_, i) => i + 1));
    // Arrival order and place in line are unrelated: Spearman's rho of a random permutation of 200 has a standard
    // deviation of about 0.07, so |rho| < 0.3 fails by chance far less than once in a million runs.
    const n = ranks.length;
    const d2 = ranks.reduce((sum, rank, i) => sum + (rank - (i + 1)) ** 2, 0);
    const rho = 1 - (6 * d2) / (n * (n * n - 1));
    expect(Math.abs(rho)).toBeLessThan(0.3);
  });

  it('gives the place of a customer who stops listening to the ones behind', async () => {
    const gears = await roomSale({ admitPerSecond: 1, timeoutMs: 1000 });
    for (const customer of ['a', 'b', 'c']) await gears.joinRoom(await gears.status(), customer);
    // Only a and c keep listening.
    const before = await gears.watchRoom(await gears.status(), ['a', 'c']);
    const cAhead = before.customers[1];
    expect(cAhead?.where === 'waiting' ? cAhead.ahead : NaN).toBeGreaterThanOrEqual(1);
    let watch = before;
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      await sleep(200);
      watch = await gears.watchRoom(await gears.status(), ['a', 'c']);
      if ((await gears.roomStatus()).abandoned === 1) break;
    }
    expect((await gears.roomStatus()).abandoned).toBe(1);
    expect((await gears.watchRoom(await gears.status(), ['b'])).customers).toEqual([{ where: 'none' }]);
    const c = watch.customers[1];
    const aheadNow = c?.where === 'waiting' ? c.ahead : c?.where === 'admitted' ? -1 : NaN;
    expect(aheadNow).toBeLessThan(cAhead?.where === 'waiting' ? cAhead.ahead : 0);
  });

  it('tells everyone in line at once when the sale sells out, and closes the line', async () => {
    const gears = await roomSale({ admitPerSecond: 1 }, 0, 1);
    const line = customers('out', 20);
    for (const customer of line) await gears.joinRoom(await gears.status(), customer);
    // The last unit goes: stock left 0 (as popup_decide_orders leaves it).
    await client.hset(gears.sale.state, 'left', 0);
    const watch = await gears.watchRoom(await gears.status(), line);
    expect(watch).toMatchObject({ closed: true, phase: 'sold_out', waiting: 0, early: 0 });
    expect(new Set(watch.customers.map((w) => w.where))).toEqual(new Set(['closed']));
    expect((await gears.joinRoom(await gears.status(), 'newcomer')).whereabouts).toEqual({ where: 'closed' });
    expect(await client.exists(gears.sale.room.line, gears.sale.room.seen, gears.sale.room.estimates)).toBe(0);
  });

  it('estimates the wait within 25% in a paced run', async () => {
    const rate = 20;
    const gears = await roomSale({ admitPerSecond: rate });
    const line = customers('paced', 40);
    for (const customer of line) await gears.joinRoom(await gears.status(), customer);
    await admissions(gears, line, 25);
    const { estimateError } = await gears.roomStatus();
    process.stdout.write(`waiting room: mean wait-estimate error ${((estimateError ?? NaN) * 100).toFixed(1)}%\n`);
    expect(estimateError).not.toBeNull();
    expect(estimateError as number).toBeLessThanOrEqual(0.25);
  });

  it('lets an admission lapse after admitMs: joining again is at the back', async () => {
    const gears = await roomSale({ admitPerSecond: 100, admitMs: 1000 });
    await gears.joinRoom(await gears.status(), 'first');
    await admissions(gears, ['first']);
    await sleep(1100);
    expect((await gears.watchRoom(await gears.status(), ['first'])).customers).toEqual([{ where: 'none' }]);
    expect((await gears.joinRoom(await gears.status(), 'first')).whereabouts.where).toMatch(/waiting|admitted/);
    expect(await client.hget(gears.sale.room.settings, 'joined')).toBe('2');
  });

  it('derives the rate from the decisions measured when none is set', async () => {
    const gears = await roomSale({ admitPerSecond: 0, autoFloor: 7 });
    expect((await gears.joinRoom(await gears.status(), 'x')).rate).toBe(7);
    // 500 decisions in about a second: the derived rate follows them, a tenth above.
    await sleep(1000);
    await client.hincrby(gears.sale.state, 'completed', 500);
    await sleep(50);
    const { rate } = await gears.watchRoom(await gears.status(), []);
    expect(rate).toBeGreaterThan(400);
    expect(rate).toBeLessThan(600);
  });

  it('turns itself on (auto) once the arrivals every intake reports pass the rate, and not before', async () => {
    const gears = await roomSale({ on: false, auto: true, admitPerSecond: 100 });
    // Two intakes, 40 requests each a quarter second apart: 80 in about half a second, under 100 a second.
    for (let i = 0; i < 2; i++) {
      await gears.watchRoom(await gears.status(), [], 40);
      await sleep(250);
    }
    expect((await gears.joinRoom(await gears.status(), 'early-bird')).whereabouts).toEqual({ where: 'off' });
    expect(await gears.roomStatus()).toMatchObject({ on: false, auto: true, autoOnAt: null });
    // 60 more: 140 within the second (or within 1.4 s on a slow machine), past 100 admissions a second.
    const tripped = await gears.watchRoom(await gears.status(), [], 60);
    expect(tripped.on).toBe(true);
    const status = await gears.roomStatus();
    expect(status).toMatchObject({ on: true, auto: true });
    expect(status.autoOnAt).toBeGreaterThan(0);
    // The crowd that tripped it gets the line: no burst of passes banked from before.
    expect((await gears.joinRoom(await gears.status(), 'late')).whereabouts).toEqual({ where: 'waiting', ahead: 0 });
  });

  it('forgets the arrivals of a quiet second (auto): a slow trickle never turns the room on', async () => {
    const gears = await roomSale({ on: false, auto: true, admitPerSecond: 100 });
    // 60 a second for three seconds: 180 in all, never more than 100 within a second.
    for (let i = 0; i < 6; i++) {
      await gears.watchRoom(await gears.status(), [], 30);
      await sleep(500);
    }
    expect(await gears.roomStatus()).toMatchObject({ on: false, autoOnAt: null });
  });

  it('stays off without auto whatever arrives, and refuses a bad arrival count', async () => {
    const gears = await roomSale({ on: false, admitPerSecond: 10 });
    expect((await gears.watchRoom(await gears.status(), [], 10_000)).on).toBe(false);
    await expect(gears.watchRoom(await gears.status(), [], -1)).rejects.toThrow(/arrivals/);
  });

  /**
   * A line of 1,000 and a pipeline that decides each admission at once, for 4.5 s, its backlog as given: the derived
   * rate at the end.
   */
  async function derivedRateAfterARush(backlog: number): Promise<number> {
    const gears = await roomSale({ admitPerSecond: 0, autoFloor: 10 }, 0, 100_000);
    const sale = await gears.status();
    await Promise.all(customers('rush', 1000).map((customer) => gears.joinRoom(sale, customer)));
    let decided = 0;
    const until = Date.now() + 4500;
    while (Date.now() < until) {
      await gears.watchRoom({ ...(await gears.status()), backlog }, []);
      const { admitted } = await gears.roomStatus();
      await client.hincrby(gears.sale.state, 'completed', admitted - decided);
      decided = admitted;
      await sleep(100);
    }
    return (await gears.roomStatus()).rate;
  }

  it('doubles a derived rate each second while the line waits and the pipeline keeps up', async () => {
    // From 10: 20, 40, 80, 160 by doubling; a tenth a second, following the decisions alone, would be about 15.
    expect(await derivedRateAfterARush(0)).toBeGreaterThanOrEqual(60);
  }, 20_000);

  it('follows the decisions, a tenth above, while the backlog says the pipeline does not keep up', async () => {
    expect(await derivedRateAfterARush(10_000)).toBeLessThan(30);
  }, 20_000);

  it('refuses bad settings with a clear error and changes nothing', async () => {
    const gears = await roomSale({ on: false });
    for (const bad of [{ admitPerSecond: -1 }, { timeoutMs: 10 }, { admitMs: 0 }, { autoFloor: 0 }]) {
      await expect(gears.configureRoom({ ...ROOM_DEFAULTS, on: true, ...bad })).rejects.toThrow(GearsError);
    }
    expect(await client.hget(gears.sale.room.settings, 'on')).toBe('0');
    await expect(gears.joinRoom(await gears.status(), '')).rejects.toThrow(/customerId/);
  });
});
