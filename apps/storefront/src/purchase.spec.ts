import type { Answer, LineUpdate } from './api';
import { Purchase, type PurchaseDeps } from './purchase';

const answer = (status: number, body: Record<string, unknown> = {}, retryAfterMs?: number): Answer => ({
  status,
  body,
  retryAfterMs,
  receivedAt: 0,
});

/** A purchase against scripted answers; waits resolve at once, so each test runs the whole exchange. */
function purchaseWith(
  orders: Answer[],
  tickets: Answer[] = [],
  storage = new Map<string, string>(),
  joins: Answer[] = [],
) {
  const keys: string[] = [];
  const passes: (string | undefined)[] = [];
  const waits: number[] = [];
  /** The live line's listener, once followed: a test pushes updates through it. */
  const line: { push?: (update: LineUpdate) => void; stopped: boolean } = { stopped: false };
  const deps: PurchaseDeps = {
    placeOrder: (key, pass) => {
      keys.push(key);
      passes.push(pass);
      const next = orders.shift();
      return next ? Promise.resolve(next) : new Promise<Answer>(() => undefined);
    },
    joinLine: () => {
      const next = joins.shift();
      return next ? Promise.resolve(next) : new Promise<Answer>(() => undefined);
    },
    followLine: (_events, onUpdate) => {
      line.push = onUpdate;
      return () => void (line.stopped = true);
    },
    // Past the script, a ticket read never answers: the purchase's polling stops there.
    readTicket: () => {
      const next = tickets.shift();
      return next ? Promise.resolve(next) : new Promise<Answer>(() => undefined);
    },
    storage: {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => void storage.set(key, value),
    } as Storage,
    storageKey: 'purchase',
    now: () => 0,
    wait: async (ms) => void waits.push(ms),
    changed: () => undefined,
  };
  return { purchase: new Purchase(deps), deps, keys, passes, waits, storage, line };
}

const settled = async (purchase: Purchase, step: string) => {
  for (let i = 0; i < 100 && purchase.state.step !== step; i++) await new Promise((resolve) => setImmediate(resolve));
  return purchase.state;
};

describe('Purchase', () => {
  it('makes one order of a double press, then follows its ticket to the unit', async () => {
    const { purchase, keys } = purchaseWith(
      [answer(202, { orderId: 't-1', status: 'pending' })],
      [answer(200, { status: 'pending' }), answer(200, { status: 'completed', unit: 4213 })],
    );
    purchase.buy();
    purchase.buy();
    expect(await settled(purchase, 'decided')).toEqual({
      step: 'decided',
      outcome: { kind: 'unit', unit: 4213 },
      orderId: 't-1',
    });
    expect(keys).toHaveLength(1);
  });

  it('stops following a ticket of an earlier run of the sale (410 earlier_run)', async () => {
    const { purchase } = purchaseWith(
      [answer(202, { orderId: '1.t-9', status: 'pending' })],
      [answer(200, { status: 'pending' }), answer(410, { reason: 'earlier_run' })],
    );
    purchase.buy();
    expect(await settled(purchase, 'failed')).toEqual({
      step: 'failed',
      reason: 'the sale started over before this order was decided',
    });
  });

  it('retries a 429, a 503 and a lost answer after their Retry-After with the same key', async () => {
    const { purchase, keys, waits } = purchaseWith(
      [answer(429, { reason: 'busy' }, 3000), answer(503, {}, 1000), answer(0), answer(202, { orderId: 't-2' })],
      [answer(200, { status: 'rejected', reason: 'sold_out' })],
    );
    purchase.buy();
    expect(await settled(purchase, 'decided')).toMatchObject({ outcome: { kind: 'sold_out' } });
    expect(new Set(keys).size).toBe(1);
    expect(keys).toHaveLength(4);
    expect(waits.slice(0, 3)).toEqual([3000, 1000, 1000]);
  });

  it('reads the door’s refusals as outcomes', async () => {
    for (const [status, body, kind] of [
      [409, { reason: 'duplicate' }, 'duplicate'],
      [410, { reason: 'sold_out' }, 'sold_out'],
      [423, { reason: 'closed', window: { phase: 'ended' } }, 'closed'],
    ] as const) {
      const { purchase } = purchaseWith([answer(status, body)]);
      purchase.buy();
      expect(await settled(purchase, 'decided')).toMatchObject({ outcome: { kind } });
    }
  });

  it('waits out the opening second instead of giving up on a 423 while the sale is scheduled', async () => {
    const { purchase, keys } = purchaseWith([answer(423, { window: { phase: 'scheduled' } }), answer(409)]);
    purchase.buy();
    expect(await settled(purchase, 'decided')).toMatchObject({ outcome: { kind: 'duplicate' } });
    expect(keys).toHaveLength(2);
  });

  it('after a reload, follows the ticket it had instead of ordering again', async () => {
    const first = purchaseWith([answer(202, { orderId: 't-3' })], [answer(503, {}, 500)]);
    first.purchase.buy();
    await settled(first.purchase, 'pending');
    const reloaded = purchaseWith([], [answer(200, { status: 'completed', unit: 7 })], first.storage);
    expect(await settled(reloaded.purchase, 'decided')).toMatchObject({ outcome: { kind: 'unit', unit: 7 } });
    reloaded.purchase.buy();
    expect(reloaded.keys).toHaveLength(0);
  });

  it('asks to sign in again when the token is refused, and keeps the purchase’s key', async () => {
    const { purchase, keys } = purchaseWith([answer(401, { reason: 'expired' }), answer(202, { orderId: 't-4' })]);
    purchase.buy();
    await settled(purchase, 'signed-out');
    purchase.buy();
    await settled(purchase, 'pending');
    expect(keys[0]).toBe(keys[1]);
  });

  it('goes through the line when the store says not admitted, then orders with the pass and the same key', async () => {
    const { purchase, keys, passes, line } = purchaseWith(
      [answer(403, { reason: 'not_admitted' }), answer(202, { orderId: 't-9' })],
      [answer(200, { status: 'completed', unit: 7 })],
      new Map(),
      [answer(200, { where: 'waiting', ahead: 3, estimatedWaitMs: 2000, events: '/line?token=q' })],
    );
    purchase.buy();
    expect(await settled(purchase, 'in-line')).toEqual({ step: 'in-line', where: 'waiting', ahead: 3, waitMs: 2000 });
    line.push?.({ where: 'waiting', ahead: 1, estimatedWaitMs: 1000 });
    expect(purchase.state).toMatchObject({ step: 'in-line', ahead: 1 });
    line.push?.({ where: 'admitted', pass: 'the-pass' });
    expect(await settled(purchase, 'decided')).toMatchObject({ outcome: { kind: 'unit', unit: 7 } });
    expect(passes).toEqual([undefined, 'the-pass']);
    expect(new Set(keys).size).toBe(1);
    expect(line.stopped).toBe(true);
  });

  it('joins the line first when the sale says the room is on, early before the opening', async () => {
    const { purchase, passes, line } = purchaseWith([answer(202, { orderId: 't-3' })], [], new Map(), [
      answer(200, { where: 'early', events: '/line?token=q' }),
    ]);
    purchase.buy(true);
    expect(await settled(purchase, 'in-line')).toEqual({ step: 'in-line', where: 'early' });
    line.push?.({ where: 'admitted', pass: 'p' });
    expect(await settled(purchase, 'pending')).toMatchObject({ orderId: 't-3' });
    expect(passes).toEqual(['p']);
  });

  it('lets the store answer when the line closed: sold out', async () => {
    const { purchase } = purchaseWith([answer(410, { reason: 'sold_out' })], [], new Map(), [
      answer(200, { where: 'closed' }),
    ]);
    purchase.buy(true);
    expect(await settled(purchase, 'decided')).toMatchObject({ outcome: { kind: 'sold_out' } });
  });
});
