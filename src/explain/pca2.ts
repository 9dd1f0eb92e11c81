import { createRandom } from '../util/random.js';
import { SegkitError, badOption } from '../util/errors.js';
import { toDataset, type Dataset } from '../data/dataset.js';
import { checkOptions } from '../util/options.js';

export interface Pca2Options {
  /** Project at most this many rows (a seeded uniform sample without replacement); the axes always use every row. */
  readonly maxPoints?: number;
  readonly seed?: number;
  /** Divide each feature by its standard deviation first (as StandardScaler), so units do not decide the axes. */
  readonly standardize?: boolean;
}

export interface Pca2Result {
  /** Per feature: the mean subtracted and the scale divided by before projecting (scale 1 when not standardising or constant). */
  readonly mean: number[];
  readonly scale: number[];
  /** Two unit-length axes, largest variance first; each one's largest-magnitude loading is positive. */
  readonly components: [number[], number[]];
  /** Variance along each axis (covariance with ddof 1, as sklearn's PCA) and its share of the total. */
  readonly explainedVariance: [number, number];
  readonly explainedVarianceRatio: [number, number];
  /** The projected rows, ascending, with their coordinates. */
  readonly rows: Int32Array;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

const DEFAULTS = Object.freeze({ maxPoints: 5000, seed: 0, standardize: true });

/** m of n row indices, ascending, uniformly without replacement: Knuth, TAOCP vol. 2, 3.4.2, Algorithm S. */
function sampleRows(n: number, m: number, seed: number): Int32Array {
  const out = new Int32Array(m);
  if (m === n) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
  const rng = createRandom(seed);
  let chosen = 0;
  for (let i = 0; i < n && chosen < m; i++) {
    if ((n - i) * rng.next() < m - chosen) out[chosen++] = i;
  }
  return out;
}

/**
 * Eigen-decomposition of a symmetric d x d matrix (row-major, overwritten) by the cyclic Jacobi method:
 * Golub & Van Loan, Matrix Computations, 4th ed., Algorithms 8.5.1 (sym.schur2) and 8.5.3 (cyclic Jacobi).
 * Returns the eigenvalues (the final diagonal) and the eigenvectors as columns of `v`.
 */
function jacobiEigen(a: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        // An entry below rounding of its own diagonal pair is zero (Demmel & Veselic's relative test), not one below
        // rounding of the whole matrix: a feature in far larger units would leave the small ones' block unrotated.
        if (Math.abs(apq) <= 2 ** -53 * Math.sqrt(Math.abs(a[p * d + p] * a[q * d + q]))) continue;
        rotated = true;
        const tau = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        a[p * d + q] = 0;
        a[q * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
    // Quadratic convergence leaves nothing to rotate within a few sweeps.
    if (!rotated) break;
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

/**
 * Projects the rows onto the first two principal components, for a 2-D scatter of a segmentation.
 * The covariance is accumulated in float64 over every row; only the projected points are sampled.
 *
 * @example
 * const { x, y, rows, explainedVarianceRatio } = pca2(data, { maxPoints: 2000, seed: 7 });
 */
export function pca2(data: Dataset, options: Pca2Options = {}): Pca2Result {
  checkOptions(options, Object.keys(DEFAULTS), 'pca2');
  const o = { ...DEFAULTS, ...options };
  if (!Number.isInteger(o.maxPoints) || o.maxPoints < 1) throw badOption('maxPoints', o.maxPoints, 'an integer >= 1');
  if (!Number.isSafeInteger(o.seed)) throw badOption('seed', o.seed, 'an integer of at most 2^53 in magnitude');
  if (typeof o.standardize !== 'boolean') throw badOption('standardize', o.standardize, 'a boolean');
  const ds = toDataset(data);
  const { n, d } = ds;
  if (n < 1 || d < 1) throw new SegkitError('E_EMPTY_DATA', 'PCA needs at least one row and one column');

  const mean = new Array<number>(d);
  const scale = new Array<number>(d).fill(1);
  for (let j = 0; j < d; j++) {
    const col = ds.columns[j];
    let s = 0;
    for (let i = 0; i < n; i++) s += col[i];
    mean[j] = s / n;
    if (o.standardize) {
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (col[i] - mean[j]) ** 2;
      const sd = Math.sqrt(ss / n);
      // A constant column is left unscaled, as StandardScaler does.
      if (sd > 0) scale[j] = sd;
    }
  }

  const cov = new Float64Array(d * d);
  const denom = n > 1 ? n - 1 : 1;
  for (let a = 0; a < d; a++) {
    const ca = ds.columns[a];
    const ma = mean[a];
    for (let b = a; b < d; b++) {
      const cb = ds.columns[b];
      const mb = mean[b];
      let s = 0;
      for (let i = 0; i < n; i++) s += (ca[i] - ma) * (cb[i] - mb);
      const c = s / denom / (scale[a] * scale[b]);
      cov[a * d + b] = c;
      cov[b * d + a] = c;
    }
  }
  let total = 0;
  for (let j = 0; j < d; j++) total += cov[j * d + j];

  const { values, vectors } = jacobiEigen(cov, d);
  const idx = Array.from({ length: d }, (_, i) => i).sort((p, q) => values[q] - values[p] || p - q);
  const axis = (r: number): number[] => {
    if (r >= d) return new Array<number>(d).fill(0);
    const col = idx[r];
    const w = Array.from({ length: d }, (_, j) => vectors[j * d + col]);
    // Deterministic sign: the largest-magnitude loading is positive (first one on ties), as sklearn >= 1.5's svd_flip.
    let best = 0;
    for (let j = 1; j < d; j++) if (Math.abs(w[j]) > Math.abs(w[best])) best = j;
    return w[best] < 0 ? w.map((x) => -x) : w;
  };
  const components: [number[], number[]] = [axis(0), axis(1)];
  const ev = (r: number) => (r < d ? Math.max(0, values[idx[r]]) : 0);
  const explainedVariance: [number, number] = [ev(0), ev(1)];
  const explainedVarianceRatio: [number, number] = total > 0 ? [ev(0) / total, ev(1) / total] : [0, 0];

  const m = Math.min(n, o.maxPoints);
  const rows = sampleRows(n, m, o.seed);
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  for (let j = 0; j < d; j++) {
    const col = ds.columns[j];
    const w0 = components[0][j] / scale[j];
    const w1 = components[1][j] / scale[j];
    const mu = mean[j];
    for (let t = 0; t < m; t++) {
      const v = col[rows[t]] - mu;
      x[t] += v * w0;
      y[t] += v * w1;
    }
  }
  return { mean, scale, components, explainedVariance, explainedVarianceRatio, rows, x, y };
}
