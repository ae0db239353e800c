/** The named figures one run of one case measured (decisions/s, µs per decision, latency percentiles…). */
export type Figures = Record<string, number>;
