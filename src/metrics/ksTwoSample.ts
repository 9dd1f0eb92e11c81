import { SegkitError, badOption, describe } from '../util/errors.js';
import { arrayLength, checkOptions, orDefault } from '../util/options.js';
import { kstwoSf } from './kolmogorov.js';

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  /** sup |F1 - F2| (for the exact method, rounded to the nearest multiple of 1 / lcm(n1, n2), as SciPy does). */
  statistic: number;
  /** NaN, as SciPy's, for 'asymp' on two one-value samples (the one-sample distribution at n = round(1/2) = 0). */
  pvalue: number;
  /** The method that produced the p-value ('auto' resolved; 'exact' falls back to 'asymp' when it cannot be computed). */
  method: 'exact' | 'asymp';
}

/** scipy 1.10's `MAX_AUTO_N`: 'auto' is exact when both samples have at most this many values. */
export const KS_MAX_AUTO_N = 10000;

const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Pr(D_{n,n} >= h/n): 2 (A0 (1 - A1 (1 - A2 (...)))) with A_k = C(2n, n - kh) / C(2n, n) built term by term. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Share of lattice paths from (0, 0) to (m, n) that leave the band |x/m - y/n| < h / lcm(m, n): Hodges' (1958)
 * inside method, computed for 1 - p directly (Viehmann 2021), as scipy's `_compute_outer_prob_inside_method`.
 */
function outerProbInside(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = m / g, ng = n / g;
  let minj = 0, maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, 1)).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj, lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

/** scipy's `_attempt_exact_2kssamp` (two-sided): [success, d rounded to the lattice, p]. */
function attemptExact(n1: number, n2: number, g: number, d: number): [boolean, number, number] {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  d = h / lcm;
  if (h === 0) return [true, d, 1];
  const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  if (!Number.isFinite(prob) || !(prob >= 0 && prob <= 1)) return [false, d, prob];
  return [true, d, prob];
}

/**
 * The two-sided two-sample Kolmogorov-Smirnov p-value of a statistic d for samples of n1 and n2 values, as
 * scipy.stats.ks_2samp (SciPy 1.10) computes it: 'exact' counts lattice paths (Hodges 1958), 'asymp' uses the
 * one-sample distribution of D at n = round(n1 n2 / (n1 + n2)) (scipy.stats.kstwo), 'auto' is exact when
 * max(n1, n2) <= 10,000. Exact costs O(max(n1, n2) x d x lcm / max(n1, n2)) time and O(n) memory.
 */
export function ksPValue(d: number, n1: number, n2: number, method: KsMethod = 'auto'): KsResult {
  for (const [name, v] of [['n1', n1], ['n2', n2]] as const) {
    if (!Number.isInteger(v) || v < 1) throw badOption(name, v, 'a positive integer (the sample size)');
  }
  if (typeof d !== 'number' || !(d >= 0 && d <= 1)) throw badOption('d', d, 'a number from 0 to 1');
  if (method !== 'auto' && method !== 'exact' && method !== 'asymp') throw badOption('method', method, '"auto", "exact" or "asymp"');
  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp') : method;
  if (method === 'exact' && n1 / g >= 2147483647 / (n2 / g)) mode = 'asymp';
  let prob = NaN;
  if (mode === 'exact') {
    const [ok, dd, p] = attemptExact(n1, n2, g, d);
    d = dd;
    if (ok) prob = p;
    else mode = 'asymp';
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2), n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    prob = kstwoSf(d, roundHalfEven(en));
  }
  return { statistic: d, pvalue: Math.min(1, Math.max(0, prob)), method: mode };
}

/** D = max |F1 - F2| of two sorted samples (right-continuous ECDFs, ties as numpy's searchsorted(side='right')). */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length, n2 = b.length;
  let i = 0, j = 0, maxS = -Infinity, minS = Infinity;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= v) i++;
    while (j < n2 && b[j] <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const lo = Math.min(1, Math.max(0, -minS));
  return lo > maxS ? lo : maxS;
}

function sortedFinite(x: ArrayLike<number>, name: string): Float64Array {
  const n = arrayLength(x, name);
  // every value checked before the copy is made: an array-like with a huge length and no values fails at index 0
  for (let i = 0; i < n; i++) {
    // checked before conversion: a Float64Array would read null, '' and false as 0, and true as 1
    const v = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SegkitError('E_NAN_INPUT', `sample "${name}" holds ${describe(v)} at index ${i}; the test needs finite numbers`);
  }
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', `sample "${name}" is empty`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i] === 0 ? 0 : x[i];
  return out.sort();
}

/**
 * The two-sided two-sample Kolmogorov-Smirnov test of two samples held in memory (scipy.stats.ks_2samp).
 * For columns of millions of rows on an executor, `compareSnapshots` computes the same statistic exactly as shard ops.
 * @example
 * const { statistic, pvalue } = ksTwoSample(before, after);
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>, options: { method?: KsMethod } = {}): KsResult {
  // an ignored `alternative: 'less'` or SciPy's older `mode` would silently give the two-sided 'auto' p-value
  checkOptions(options, ['method'], 'ksTwoSample');
  const x = sortedFinite(a, 'a'), y = sortedFinite(b, 'b');
  return ksPValue(ksStatisticSorted(x, y), x.length, y.length, orDefault(options.method, 'auto'));
}
