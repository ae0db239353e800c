import { planArrivals } from './arrivals';

describe('planArrivals', () => {
  const plan = { customers: 5000, rate: 1000, repeatShare: 0.2, seed: 7 };

  it('is reproducible from its seed', () => {
    expect(planArrivals(plan)).toEqual(planArrivals(plan));
    expect(planArrivals({ ...plan, seed: 8 })).not.toEqual(planArrivals(plan));
  });

  it('brings every customer, some twice, at about the asked rate', () => {
    const arrivals = planArrivals(plan);
    const distinct = new Set(arrivals.map((a) => a.customerId));
    expect(distinct.size).toBe(5000);
    expect(arrivals.length / distinct.size).toBeCloseTo(1 / 0.8, 1);
    const seconds = arrivals[arrivals.length - 1].at / 1000;
    expect(arrivals.length / seconds).toBeGreaterThan(900);
    expect(arrivals.length / seconds).toBeLessThan(1100);
    expect(arrivals.every((a, i) => i === 0 || a.at >= arrivals[i - 1].at)).toBe(true);
  });
});
