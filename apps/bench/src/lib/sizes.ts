/** How much each scenario does per run. */
export interface Sizes {
  /** Scenario 1: orders decided per run, and the batch sizes (one caller; two in flight for `inFlightBatches`). */
  readonly engineOrders: number;
  readonly batches: readonly number[];
  readonly inFlightBatches: readonly number[];
  /** Baselines over pre-filled orders: orders per run and the stock they start with. */
  readonly baselineOrders: number;
  readonly baselineUnits: number;
  /** redis-benchmark's request count. */
  readonly ceilingRequests: number;
  /** Scenario 2. */
  readonly streamCustomers: number;
  readonly streamStock: number;
  /** Scenario 3 at full speed, then at a paced rate. */
  readonly httpCustomers: number;
  readonly httpStock: number;
  readonly httpRate: number;
  readonly httpPacedCustomers: number;
  readonly httpPacedStock: number;
  readonly httpPacedRate: number;
  /** Scenario 3's accepted path by wrk, intake alone beside a bare Fastify: the customers who order, over and over. */
  readonly httpAloneCustomers: number;
  /** Scenario 4: offered rates, seconds of each. */
  readonly pacedRates: readonly number[];
  readonly pacedSeconds: number;
  /** Scenario 5, appendfsync always against everysec: customers per run (units for nine in ten) and the HTTP rate. */
  readonly fsyncCustomers: number;
  readonly fsyncRate: number;
  /** Tokens verified per run of the token costs. */
  readonly tokenCount: number;
  /** The many-sales scenario: sales decided at once, and orders of each (one unit each). */
  readonly manySales: number;
  readonly manySalesOrders: number;
}

/** The sizes: a crowd of 100,000 for 10,000 units, paced levels of 1k to 20k orders/s. */
export const FULL_SIZES: Sizes = {
  engineOrders: 20_000,
  batches: [1, 10, 100, 1000],
  inFlightBatches: [100, 1000],
  baselineOrders: 20_000,
  baselineUnits: 2_000,
  ceilingRequests: 200_000,
  streamCustomers: 100_000,
  streamStock: 10_000,
  httpCustomers: 100_000,
  httpStock: 10_000,
  httpRate: 20_000,
  httpPacedCustomers: 25_000,
  httpPacedStock: 2_500,
  httpPacedRate: 5_000,
  httpAloneCustomers: 256,
  pacedRates: [1_000, 5_000, 10_000, 20_000],
  pacedSeconds: 3,
  fsyncCustomers: 10_000,
  fsyncRate: 2_000,
  tokenCount: 5_000,
  manySales: 12,
  manySalesOrders: 5_000,
};

/** `--quick`: a run of a minute or so, to see that everything works, not to quote. */
export const QUICK_SIZES: Sizes = {
  engineOrders: 2_000,
  batches: [1, 10, 100, 1000],
  inFlightBatches: [1000],
  baselineOrders: 2_000,
  baselineUnits: 200,
  ceilingRequests: 20_000,
  streamCustomers: 5_000,
  streamStock: 500,
  httpCustomers: 5_000,
  httpStock: 500,
  httpRate: 5_000,
  httpPacedCustomers: 2_500,
  httpPacedStock: 250,
  httpPacedRate: 5_000,
  httpAloneCustomers: 256,
  pacedRates: [1_000, 5_000],
  pacedSeconds: 1,
  fsyncCustomers: 2_000,
  fsyncRate: 2_000,
  tokenCount: 500,
  manySales: 12,
  manySalesOrders: 300,
};

/** `--customers` sets every order count and `--units` every stock (the smoke test's tiny sale). */
export function resize(sizes: Sizes, customers?: number, units?: number): Sizes {
  const orders =
    customers === undefined
      ? {}
      : {
          engineOrders: customers,
          baselineOrders: customers,
          streamCustomers: customers,
          httpCustomers: customers,
          httpPacedCustomers: customers,
          fsyncCustomers: customers,
          manySalesOrders: customers,
        };
  const stock =
    units === undefined ? {} : { baselineUnits: units, streamStock: units, httpStock: units, httpPacedStock: units };
  return { ...sizes, ...orders, ...stock };
}
