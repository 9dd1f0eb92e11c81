// Gaussian-mixture parameters and the M-step, as scikit-learn 1.2.1's GaussianMixture computes them
// (`_estimate_gaussian_parameters`, `_compute_precision_cholesky`, `_compute_log_det_cholesky`), from shifted
// sufficient statistics: S1 = sum r (x - c), S2 = sum r (x - c)(x - c)^T around the means c of the pass.
import { SegkitError } from '../util/errors.js';
import { GMM_DIAG, GMM_FULL, GMM_TIED, gmmStatsWidth, type GmmLayout } from '../kernels/gmm.js';
import { cholesky, inverseTransposeLower } from './gmmLinalg.js';
import { log } from '../util/detMath.js';

export type CovarianceType = 'full' | 'tied' | 'diag' | 'spherical';
export const COVARIANCE_TYPES: readonly CovarianceType[] = Object.freeze(['full', 'tied', 'diag', 'spherical']);

/** numpy's float64 machine epsilon: scikit-learn adds 10 eps to every component's weight. */
export const EPS = 2.220446049250313e-16;
const LOG_2PI = log(2 * Math.PI);

/** Parameters in one coordinate system, flat: covariances and precisionsCholesky in scikit-learn's shapes. */
export interface GmmParams {
  readonly k: number;
  readonly d: number;
  readonly type: CovarianceType;
  readonly weights: Float64Array;
  /** k x d */
  readonly means: Float64Array;
  /** full k x d x d, tied d x d, diag k x d, spherical k; absent when the start gave precisions only. */
  readonly covariances?: Float64Array;
  /** Same shapes: full upper triangular (L^-1)^T, or any P with P P^T = precision. */
  readonly precChol: Float64Array;
}

export const layoutOf = (t: CovarianceType): GmmLayout => (t === 'full' ? GMM_FULL : t === 'tied' ? GMM_TIED : GMM_DIAG);

/** Length of the flat covariance (or precision) array of a type. */
export function covLength(t: CovarianceType, k: number, d: number): number {
  return t === 'full' ? k * d * d : t === 'tied' ? d * d : t === 'diag' ? k * d : k;
}

/** Free parameters (scikit-learn's `_n_parameters`): for BIC and AIC. */
export function nParameters(t: CovarianceType, k: number, d: number): number {
  const cov = t === 'full' ? (k * d * (d + 1)) / 2 : t === 'diag' ? k * d : t === 'tied' ? (d * (d + 1)) / 2 : k;
  return cov + d * k + k - 1;
}

function singular(component: number | null, type: CovarianceType, reg: number): SegkitError {
  const which = component === null ? 'the shared (tied) covariance' : `component ${component}'s covariance`;
  return new SegkitError(
    'E_SINGULAR',
    `${which} is singular even with regCovar ${reg} added: the component has collapsed onto too few distinct rows or onto a lower-dimensional subspace (duplicated or perfectly correlated features)`,
    type === 'full' || type === 'tied' ? 'use covarianceType "diag", a larger regCovar (e.g. 1e-3), fewer components, or drop duplicated features' : 'use a larger regCovar (e.g. 1e-3) or fewer components',
  );
}

/** Cholesky precisions from covariances; a matrix with no factor is E_SINGULAR naming its component. */
export function precisionCholesky(cov: Float64Array, t: CovarianceType, k: number, d: number, reg: number): Float64Array {
  if (t === 'full' || t === 'tied') {
    const count = t === 'full' ? k : 1;
    const out = new Float64Array(count * d * d);
    for (let c = 0; c < count; c++) {
      const f = cholesky(cov.subarray(c * d * d, (c + 1) * d * d), d);
      if (!('L' in f)) throw singular(t === 'full' ? c : null, t, reg);
      out.set(inverseTransposeLower(f.L, d), c * d * d);
    }
    return out;
  }
  const out = new Float64Array(cov.length);
  for (let q = 0; q < cov.length; q++) {
    if (!(cov[q] > 0) || !Number.isFinite(cov[q])) throw singular(t === 'diag' ? Math.floor(q / d) : q, t, reg);
    out[q] = 1 / Math.sqrt(cov[q]);
  }
  return out;
}

/** log det of each component's precision Cholesky factor (scikit-learn's `_compute_log_det_cholesky`). */
export function logDetCholesky(P: Float64Array, t: CovarianceType, k: number, d: number): Float64Array {
  const out = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    if (t === 'full') for (let j = 0; j < d; j++) s += log(P[c * d * d + j * d + j]);
    else if (t === 'tied') for (let j = 0; j < d; j++) s += log(P[j * d + j]);
    else if (t === 'diag') for (let j = 0; j < d; j++) s += log(P[c * d + j]);
    else s = d * log(P[c]);
    out[c] = s;
  }
  return out;
}

/** Tied parameters as full ones (the shared factor for every component): an E-step whose statistics are in the full layout. */
export function tiedAsFull(p: GmmParams): GmmParams {
  const dd = p.d * p.d, precChol = new Float64Array(p.k * dd);
  for (let c = 0; c < p.k; c++) precChol.set(p.precChol.subarray(0, dd), c * dd);
  return { ...p, type: 'full', precChol };
}

/** The kernel's view of the parameters: means, precisions packed for its layout, and per-component constants. */
export function kernelArgs(p: GmmParams): { layout: GmmLayout; means: Float64Array; prec: Float64Array; consts: Float64Array } {
  const { k, d, type: t, precChol: P } = p;
  const tri = (d * (d + 1)) / 2;
  let prec: Float64Array;
  if (t === 'full' || t === 'tied') {
    const count = t === 'full' ? k : 1;
    prec = new Float64Array(count * tri + (t === 'tied' ? k * d : 0));
    for (let c = 0; c < count; c++) {
      let q = c * tri;
      // row j of P^T: P[0..j][j] (P is upper triangular, or treated as such: its lower part must be zero)
      for (let j = 0; j < d; j++) for (let i = 0; i <= j; i++) prec[q++] = P[c * d * d + i * d + j];
    }
    if (t === 'tied') {
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let i = 0; i <= j; i++) s += P[i * d + j] * p.means[c * d + i];
          prec[tri + c * d + j] = s;
        }
      }
    }
  } else if (t === 'diag') {
    prec = Float64Array.from(P);
  } else {
    prec = new Float64Array(k * d);
    for (let c = 0; c < k; c++) prec.fill(P[c], c * d, (c + 1) * d);
  }
  const logDet = logDetCholesky(P, t, k, d);
  const consts = Float64Array.from({ length: k }, (_, c) => log(p.weights[c]) + logDet[c] - 0.5 * d * LOG_2PI);
  return { layout: layoutOf(t), means: Float64Array.from(p.means), prec, consts };
}

/** An upper-triangular P with P P^T = the given precision (P = (L^-1)^T with L L^T its inverse), for explicit starts. */
export function upperFromPrecision(precision: Float64Array, d: number): Float64Array | null {
  // with J the exchange matrix and J precision J = L L^T, P = J L J is upper triangular and P P^T = precision
  const J = (i: number) => d - 1 - i;
  const flipped = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) flipped[i * d + j] = precision[J(i) * d + J(j)];
  const f = cholesky(flipped, d);
  if (!('L' in f)) return null;
  const P = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) P[i * d + j] = f.L[J(i) * d + J(j)];
  return P;
}

export interface MStepInput {
  type: CovarianceType;
  k: number;
  d: number;
  /** Per component N, S1 (d), S2 (layout width): the merged statistics of a pass. */
  stats: Float64Array;
  /** The means the statistics are shifted by. */
  shift: Float64Array;
  /**
   * Tied covariances: sum x x^T over every row (d x d) about `origin`, for a start whose responsibilities do not sum to
   * 1 per row (k-means++: scikit-learn takes X^T X less the means' share, both about the data's zero, where the result
   * differs from the same about the column means). Without it the statistics are in the full layout and
   * the covariance sums each component's scatter about its mean: no cancellation when the means are far apart.
   */
  gram?: Float64Array;
  /** Rows (for the initial weights, which scikit-learn divides by n rather than normalising). */
  n: number;
  /** The data's origin in the statistics' coordinates (-offset x scale): where a component no row takes has its mean. */
  origin: Float64Array;
  /** regCovar in the statistics' coordinates (added to the diagonals), and as the caller gave it (named by errors). */
  reg: number;
  regCovar: number;
  /** The M-step (weights normalised) or the initialisation (weights = nk / n). */
  normalise: boolean;
}

/**
 * Whether a component's variance in a feature is no more than the rounding of its mean (its rows all hold one value,
 * as in a component of customers who share a constant feature): the spread left by a mean a few units in the last
 * place off that value, and by the pull of 10 eps towards the data's zero, is 0 (an M-step without regCovar then
 * finds the component singular, as scikit-learn's does, rather than a variance of 1e-29 and a log-likelihood it
 * makes up).
 */
const rounding = (v: number, m: number, o: number): boolean => v <= (64 * EPS * (Math.abs(m) + Math.abs(m - o))) ** 2;

/** Weights, means and covariances from the statistics, then their Cholesky precisions. */
export function mStep(o: MStepInput): GmmParams {
  const { type: t, k, d, stats, shift, reg, origin } = o;
  const w = gmmStatsWidth(d, t === 'tied' && !o.gram ? GMM_FULL : layoutOf(t));
  const nk = new Float64Array(k), raw = new Float64Array(k);
  const means = new Float64Array(k * d), delta = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const N = stats[c * w];
    raw[c] = N;
    nk[c] = N + 10 * EPS;
    for (let j = 0; j < d; j++) {
      // resp^T X / nk in the data's coordinates, with resp^T X = S1 + N c: (N - nk) origin is what moving to the
      // statistics' origin leaves, so a component no row takes sits at the data's zero, as scikit-learn's
      const m = (stats[c * w + 1 + j] + N * shift[c * d + j] + 10 * EPS * origin[j]) / nk[c];
      means[c * d + j] = m;
      delta[c * d + j] = m - shift[c * d + j];
    }
  }
  const cov = new Float64Array(covLength(t, k, d));
  if (t === 'full') {
    for (let c = 0; c < k; c++) {
      const base = c * w, S1 = base + 1, S2 = base + 1 + d;
      let q = S2;
      for (let j = 0; j < d; j++) {
        for (let i = 0; i <= j; i++) {
          // sum r (x - m)(x - m)^T = S2 - S1 delta^T - delta S1^T + N delta delta^T
          const di = delta[c * d + i], dj = delta[c * d + j];
          let v = (stats[q++] - stats[S1 + i] * dj - di * stats[S1 + j] + raw[c] * di * dj) / nk[c];
          if (i === j && !reg && rounding(v, means[c * d + j], origin[j])) v = 0;
          cov[c * d * d + i * d + j] = v;
          cov[c * d * d + j * d + i] = v;
        }
        cov[c * d * d + j * d + j] += reg;
      }
    }
  } else if (t === 'tied') {
    const G = o.gram;
    let total = 0;
    for (let c = 0; c < k; c++) total += nk[c];
    for (let j = 0; j < d; j++) {
      for (let i = 0; i <= j; i++) {
        let s = G ? G[i * d + j] : 0;
        for (let c = 0; c < k; c++) {
          if (G) {
            s -= nk[c] * (means[c * d + i] - origin[i]) * (means[c * d + j] - origin[j]);
          } else {
            // component c's scatter about its mean, as for full covariances
            const S1 = c * w + 1, di = delta[c * d + i], dj = delta[c * d + j];
            s += stats[S1 + d + (j * (j + 1)) / 2 + i] - stats[S1 + i] * dj - di * stats[S1 + j] + raw[c] * di * dj;
          }
        }
        cov[i * d + j] = cov[j * d + i] = s / total;
      }
      cov[j * d + j] += reg;
    }
  } else {
    for (let c = 0; c < k; c++) {
      const base = c * w;
      let mean = 0;
      for (let j = 0; j < d; j++) {
        const dj = delta[c * d + j];
        let v = (stats[base + 1 + d + j] - 2 * dj * stats[base + 1 + j] + raw[c] * dj * dj) / nk[c];
        if (!reg && rounding(v, means[c * d + j], origin[j])) v = 0;
        v += reg;
        if (t === 'diag') cov[c * d + j] = v;
        mean += v;
      }
      if (t === 'spherical') cov[c] = mean / d;
    }
  }
  let sum = 0;
  for (let c = 0; c < k; c++) sum += nk[c];
  const weights = Float64Array.from(nk, (v) => v / (o.normalise ? sum : o.n));
  // never NaN: a component whose numbers overflowed is reported like a singular one
  const bad = (a: Float64Array, per: number): void => {
    for (let q = 0; q < a.length; q++) if (!Number.isFinite(a[q])) throw singular(per > 0 ? Math.floor(q / per) : null, t, o.regCovar);
  };
  bad(weights, 1);
  bad(means, d);
  bad(cov, t === 'tied' ? 0 : cov.length / k);
  return { k, d, type: t, weights, means, covariances: cov, precChol: precisionCholesky(cov, t, k, d, o.regCovar) };
}

/** The parameters moved into coordinates x' = (x - offset) * scale (scale a power of two), or back with `inverse`. */
export function rescale(p: GmmParams, offset: Float64Array, scale: number, inverse = false): GmmParams {
  const { k, d, type: t } = p;
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      const v = p.means[c * d + j];
      means[c * d + j] = inverse ? v / scale + offset[j] : (v - offset[j]) * scale;
    }
  }
  const s2 = inverse ? 1 / (scale * scale) : scale * scale;
  const s1 = inverse ? scale : 1 / scale;
  return {
    k, d, type: t, weights: Float64Array.from(p.weights), means,
    ...(p.covariances ? { covariances: Float64Array.from(p.covariances, (v) => v * s2) } : {}),
    precChol: Float64Array.from(p.precChol, (v) => v * s1),
  };
}

/** Statistics per component of a kernel layout (re-exported for the ops). */
export const statsWidth = (t: CovarianceType, d: number): number => gmmStatsWidth(d, layoutOf(t));
export { GMM_FULL, GMM_TIED, GMM_DIAG };
