import { InFlightBudget } from './in-flight-budget';

describe('InFlightBudget', () => {
  it('counts what is held against its limit', () => {
    const budget = new InFlightBudget(5);
    budget.hold(3);
    expect(budget.free).toBe(2);
    budget.hold(4);
    expect(budget.free).toBe(0);
    budget.release(4);
    expect(budget.free).toBe(2);
  });

  it('wakes whoever waits for slots when some are released, or when told to stop', async () => {
    const budget = new InFlightBudget(1);
    budget.hold(1);
    const never = new AbortController().signal;
    const waiting = [budget.freed(never), budget.freed(never)];
    budget.release(1);
    await Promise.all(waiting);

    const stopping = new AbortController();
    const stopped = budget.freed(stopping.signal);
    stopping.abort();
    await stopped;
    await budget.freed(stopping.signal);
  });
});
