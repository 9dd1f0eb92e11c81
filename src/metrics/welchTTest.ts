import tCdf from '#stdlib/t-cdf';
import tQuantile from '#stdlib/t-quantile';
import { SegkitError, badOption } from '../util/errors.js';
import { arrayLength } from '../util/options.js';

export interface WelchResult {
  /** mean(a) - mean(b) */
  diff: number;
  meanA: number;
  meanB: number;
  statistic: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  pvalue: number;
  ci: [number, number];
}

/**
 * Mean and unbiased variance: the corrected two-pass algorithm (Chan, Golub & LeVeque 1983), whose second pass
 * sums the deviations too and so removes the first sum's rounding (a million values near 1e9 lose 1e-5 in the mean).
 */
function moments(x: ArrayLike<number>, name: string): { n: number; mean: number; variance: number } {
  const n = arrayLength(x, name);
  if (n < 2) throw new SegkitError('E_EMPTY_DATA', `sample "${name}" has ${n} value${n === 1 ? '' : 's'}; Welch's test needs at least 2 per group`);
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new SegkitError('E_NAN_INPUT', `sample "${name}" holds ${x[i]} at index ${i}`);
    s += x[i];
  }
  const first = s / n;
  let ds = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - first;
    ds += d;
    ss += d * d;
  }
  return { n, mean: first + ds / n, variance: Math.max(0, ss - (ds * ds) / n) / (n - 1) };
}

/** Welch's t-test from summary statistics. */
export function welchFromMoments(a: { n: number; mean: number; variance: number }, b: { n: number; mean: number; variance: number }, confidence = 0.95): WelchResult {
  const sa = a.variance / a.n, sb = b.variance / b.n;
  const se = Math.sqrt(sa + sb);
  // both variances zero leave the degrees of freedom 0 / 0; scipy then takes 1 (any number serves): the statistic is
  // infinite for different means (p = 0) and undefined for equal ones
  const dfRaw = (sa + sb) ** 2 / (sa ** 2 / (a.n - 1) + sb ** 2 / (b.n - 1));
  const df = Number.isNaN(dfRaw) ? 1 : dfRaw;
  const diff = a.mean - b.mean;
  const statistic = diff / se;
  const pvalue = Number.isNaN(statistic) ? NaN : 2 * tCdf(-Math.abs(statistic), df);
  const t = tQuantile(1 - (1 - confidence) / 2, df);
  return { diff, meanA: a.mean, meanB: b.mean, statistic, df, pvalue, ci: [diff - t * se, diff + t * se] };
}

/**
 * Welch's unequal-variance t-test of mean(a) = mean(b), two-sided (scipy.stats.ttest_ind(a, b, equal_var=False)),
 * with the Welch-Satterthwaite degrees of freedom and the confidence interval of the difference.
 * @example
 * const { diff, ci, pvalue } = welchTTest(treatment, control);
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>, confidence = 0.95): WelchResult {
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) throw badOption('confidence', confidence, 'a number between 0 and 1');
  return welchFromMoments(moments(a, 'a'), moments(b, 'b'), confidence);
}
