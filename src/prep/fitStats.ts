// Column statistics for fitting the prep steps. Everything is float64; NaN marks a missing value and is skipped.

/** Count, mean and sum of squared deviations of one shard: the sufficient statistics merged by `mergeMoments`. */
export interface Moments {
  readonly count: number;
  readonly mean: number;
  readonly m2: number;
}

/** Pairwise merge of two shards' moments (Chan, Golub & LeVeque 1979, as simple-statistics `combine_means`). */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  const mean = a.mean + (delta * b.count) / count;
  const m2 = a.m2 + b.m2 + (delta * delta * a.count * b.count) / count;
  return { count, mean, m2 };
}

/** Population variance (ddof 0, as numpy's `var` and scikit-learn's scalers); NaN when there are no values. */
export function populationVariance(m: Moments): number {
  return m.count === 0 ? NaN : m.m2 / m.count;
}

/** A fitted statistic as stored: -0 becomes 0 so a model read back from JSON computes exactly the same bytes. */
export function stat(v: number): number {
  return v === 0 ? 0 : v;
}
