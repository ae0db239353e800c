import { unsafeUniformIntDistribution, xoroshiro128plus, type RandomGenerator } from 'pure-rand';

export interface ArrivalPlan {
  /** Distinct people in the crowd. */
  customers: number;
  /** Mean arrivals per second (open model: arrivals do not wait for answers). */
  rate: number;
  /** Share of arrivals that are a person clicking again (same customer id, a second order). */
  repeatShare: number;
  seed: number;
}

export interface Arrival {
  /** Milliseconds after the start at which this order is sent. */
  at: number;
  customerId: string;
}

const RESOLUTION = 1 << 30;

/** A seeded, reproducible schedule: exponential gaps (a Poisson process) and some customers ordering twice. */
export function planArrivals(plan: ArrivalPlan): Arrival[] {
  const rng = xoroshiro128plus(plan.seed);
  const uniform = () => (unsafeUniformIntDistribution(1, RESOLUTION, rng) as number) / RESOLUTION;
  const repeats = Math.round((plan.customers * plan.repeatShare) / (1 - plan.repeatShare));
  const arrivals: Arrival[] = [];
  let at = 0;
  let nextNew = 0;
  let repeatsLeft = repeats;
  for (let i = 0; i < plan.customers + repeats; i++) {
    at += (-Math.log(uniform()) * 1000) / plan.rate;
    const newLeft = plan.customers - nextNew;
    const repeat = nextNew > 0 && (newLeft === 0 || uniform() < repeatsLeft / (repeatsLeft + newLeft));
    if (repeat) repeatsLeft--;
    const index = repeat ? pick(rng, nextNew) : nextNew++;
    arrivals.push({ at, customerId: `c${plan.seed}-${index}` });
  }
  return arrivals;
}

function pick(rng: RandomGenerator, below: number): number {
  return unsafeUniformIntDistribution(0, below - 1, rng);
}
