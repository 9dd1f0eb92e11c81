import { SegkitError, badOption } from '../util/errors.js';
import { frexp, ldexp } from '../util/detMath.js';
import { arrayLength } from '../util/options.js';
import { tQuantile, tTwoSidedP } from './studentT.js';

export interface WelchResult {
  /** mean(a) - mean(b) */
  diff: number;
  meanA: number;
  meanB: number;
  statistic: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  pvalue: number;
  /** A bound beyond the float64 range is -Infinity or Infinity. */
  ci: [number, number];
}

/** A sample's size, mean and unbiased variance; the variance is `variance` x 4^`scale` (`scale` default 0). */
export interface Moments {
  n: number;
  mean: number;
  variance: number;
  scale?: number;
  /** The mean x 2^-`scale` as summed, before a subnormal mean rounds to the subnormal spacing. */
  scaledMean?: number;
}

/**
 * The power of two values of largest magnitude `maxAbs` are divided by before their moments are summed: 0 (none)
 * from 2^-400 to 2^400, where n values and their squared deviations stay in range for any n; else the exponent that
 * brings `maxAbs` to [0.5, 1), so sums near 1e308 do not overflow, nor squares near 1e-308 underflow. Dividing by a
 * power of two is exact, so every result is the one an unbounded exponent would give. The exponent is at least -1022:
 * 2^1022 is the largest power of two there is, and brings even the smallest subnormal to 2^-52.
 */
export function momentScale(maxAbs: number): number {
  return maxAbs > 2 ** 400 || (maxAbs > 0 && maxAbs < 2 ** -400) ? Math.max(-1022, frexp(maxAbs)[1]) : 0;
}

/**
 * Mean and unbiased variance: the corrected two-pass algorithm (Chan, Golub & LeVeque 1983), whose second pass
 * sums the deviations too and so removes the first sum's rounding (a million values near 1e9 lose 1e-5 in the mean).
 */
function moments(x: ArrayLike<number>, name: string): Moments {
  const n = arrayLength(x, name);
  if (n < 2) throw new SegkitError('E_EMPTY_DATA', `sample "${name}" has ${n} value${n === 1 ? '' : 's'}; Welch's test needs at least 2 per group`);
  let max = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new SegkitError('E_NAN_INPUT', `sample "${name}" holds ${x[i]} at index ${i}`);
    max = Math.max(max, Math.abs(x[i]));
  }
  const scale = momentScale(max), f = ldexp(1, -scale);
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * f;
  const first = s / n;
  let ds = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] * f - first;
    ds += d;
    ss += d * d;
  }
  const scaledMean = first + ds / n;
  return { n, mean: ldexp(scaledMean, scale), variance: Math.max(0, ss - (ds * ds) / n) / (n - 1), scale, scaledMean };
}

/**
 * Welch's t-test from summary statistics. `what` names the data in an error. The variances of the means are
 * brought to one power of two (exactly), so their squares and sum stay in range: means near 1e308 give a finite
 * test whenever their difference is finite; a difference beyond the float64 range is refused.
 */
export function welchFromMoments(a: Moments, b: Moments, confidence = 0.95, what = 'the samples'): WelchResult {
  const [ma, ka] = frexp(a.variance / a.n), [mb, kb] = frexp(b.variance / b.n);
  const ea = ka + 2 * (a.scale ?? 0), eb = kb + 2 * (b.scale ?? 0);
  // the larger exponent of a non-zero variance, made even so that the standard error's square root halves it exactly
  let k = ma === 0 ? (mb === 0 ? 0 : eb) : mb === 0 ? ea : Math.max(ea, eb);
  k += k & 1;
  const sa = ldexp(ma, ea - k), sb = ldexp(mb, eb - k);
  const se = ldexp(Math.sqrt(sa + sb), k / 2);
  // both variances zero leave the degrees of freedom 0 / 0; scipy then takes 1 (any number serves): the statistic is
  // infinite for different means (p = 0) and undefined for equal ones
  const dfRaw = (sa + sb) ** 2 / (sa ** 2 / (a.n - 1) + sb ** 2 / (b.n - 1));
  const df = Number.isNaN(dfRaw) ? 1 : dfRaw;
  const diff = a.mean - b.mean;
  if (!Number.isFinite(diff)) throw new SegkitError('E_PRECISION', `the means of ${what} (${a.mean} and ${b.mean}) differ by more than the float64 range`, 'rescale the values (divide by a power of ten) and test again');
  // the difference over the standard error before both are scaled back: se itself is rounded to the subnormal spacing
  // when the values are subnormal (the same value otherwise, as scaling by a power of two is exact)
  const rootS = Math.sqrt(sa + sb);
  let z = ldexp(diff, -k / 2);
  if (a.scaledMean !== undefined && b.scaledMean !== undefined) {
    // the same difference from the unrounded means (exact scalings: the one rounding is the subtraction's)
    const zs = ldexp(a.scaledMean, (a.scale ?? 0) - k / 2) - ldexp(b.scaledMean, (b.scale ?? 0) - k / 2);
    if (Number.isFinite(zs)) z = zs;
  }
  const statistic = z / rootS;
  const pvalue = Number.isNaN(statistic) ? NaN : tTwoSidedP(statistic, df);
  // the quantile of the tail probability itself: 1 - (1 - confidence) / 2 would round it, by up to 2e-4 of its
  // value at confidence 1 - 1e-12
  const t = -tQuantile((1 - confidence) / 2, df);
  const ci: [number, number] = Number.isFinite(z) ? [ldexp(z - t * rootS, k / 2), ldexp(z + t * rootS, k / 2)] : [diff - t * se, diff + t * se];
  return { diff, meanA: a.mean, meanB: b.mean, statistic, df, pvalue, ci };
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
