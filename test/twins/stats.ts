// Plain reference statistics over whole columns (sorted copies, two-pass moments over fixed shards): what the
// preparation steps' shard ops and radix selection (src/prep/statsOps.ts, src/prep/columnStats.ts) are checked against.
import { mergeMoments, type Moments } from '../../src/prep/fitStats.js';

const EMPTY: Moments = Object.freeze({ count: 0, mean: 0, m2: 0 });

// Fixed shard size, independent of any thread count, as the shard ops use.
const SHARD = 1 << 16;

/** Two-pass moments of values[from..to), skipping NaN: a compensated sum, and m2 corrected by the sum of deviations. */
export function partialMoments(values: ArrayLike<number>, from = 0, to = values.length): Moments {
  let count = 0;
  let sum = 0;
  let carry = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === v) {
      count++;
      const t = sum + v;
      carry += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
      sum = t;
    }
  }
  if (count === 0) return EMPTY;
  const mean = (sum + carry) / count;
  let m2 = 0;
  let dev = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === v) {
      dev += v - mean;
      m2 += (v - mean) * (v - mean);
    }
  }
  return { count, mean, m2: Math.max(0, m2 - (dev * dev) / count) };
}

/** Moments of a whole column: fixed-size shards merged in order. */
export function moments(values: ArrayLike<number>): Moments {
  let acc = EMPTY;
  for (let from = 0; from < values.length; from += SHARD) {
    acc = mergeMoments(acc, partialMoments(values, from, Math.min(values.length, from + SHARD)));
  }
  return acc;
}

/** The non-missing values, sorted ascending, in a new array. */
export function sortedPresent(values: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) count++;
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) out[k++] = v;
  }
  return out.sort();
}

/**
 * Quantile of sorted values by numpy's default method ('linear', Hyndman & Fan type 7), with numpy's `_lerp`
 * so the result matches `np.nanpercentile` / `np.nanquantile` to the last bit.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Median of sorted values as `np.median`: the middle value, or the mean of the two middle values. */
export function medianSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Most frequent of sorted values; ties go to the smallest value, as scikit-learn's SimpleImputer. */
export function modeSorted(sorted: ArrayLike<number>): number {
  let best = NaN;
  let bestCount = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > bestCount) {
      bestCount = j - i;
      best = sorted[i];
    }
    i = j;
  }
  return best;
}

/** Smallest and largest non-missing value; NaN for both when there are none. */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > hi ? [NaN, NaN] : [lo, hi];
}
