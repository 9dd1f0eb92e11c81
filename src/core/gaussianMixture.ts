import { SegkitError, badOption, describe, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom, type Random } from '../util/random.js';
import { assertResolution, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { loadMatrix, type Matrix } from '../engine/matrix.js';
import { allcloseToTranspose } from './gmmLinalg.js';
import { GaussianMixtureModel } from './gaussianMixtureModel.js';
import { gmmPass, mixtureShardRows } from './gmmOps.js';
import {
  COVARIANCE_TYPES, GMM_FULL, covLength, layoutOf, mStep, rescale, statsWidth, tiedAsFull, upperFromPrecision,
  type CovarianceType, type GmmParams,
} from './gmmParams.js';
import { kmeansPlusPlus } from './initCentroids.js';
import { checkDistinct, fitKMeans } from './kmeans.js';
import type { RunOptions } from './model.js';
import { log } from '../util/detMath.js';

/** Explicit starting parameters, in scikit-learn's `means_init`, `weights_init` and `precisions_init` shapes. */
export interface GaussianMixtureStart {
  /** k x d */
  readonly means: readonly (readonly number[])[];
  /** k values summing to 1; default: the share of rows nearest each mean. */
  readonly weights?: readonly number[];
  /** full k x d x d, tied d x d, diag k x d, spherical k; default: the covariances of the rows nearest each mean. */
  readonly precisions?: readonly unknown[];
}

export interface GaussianMixtureProgress {
  run: number;
  iteration: number;
  /** Mean log-likelihood per row of this iteration's E-step. */
  lowerBound: number;
  change: number;
}

export interface GaussianMixtureOptions extends RunOptions {
  k: number;
  covarianceType?: CovarianceType;
  /** 'kmeans' (labels of one k-means run), 'k-means++' (k seeded rows), 'random' (random responsibilities), or explicit parameters. */
  init?: 'kmeans' | 'k-means++' | 'random' | GaussianMixtureStart;
  nInit?: number;
  maxIter?: number;
  /** Stop when the mean log-likelihood changes by less than this. */
  tol?: number;
  /** Added to the diagonal of every covariance, so it stays positive definite. */
  regCovar?: number;
  seed?: number;
  onProgress?: (p: GaussianMixtureProgress) => void;
}

export const gaussianMixtureDefaults = Object.freeze({
  covarianceType: 'full' as CovarianceType,
  init: 'kmeans' as const,
  nInit: 1,
  maxIter: 100,
  tol: 1e-3,
  regCovar: 1e-6,
  seed: 0,
});

const GMM_OPTIONS = ['k', 'covarianceType', 'init', 'nInit', 'maxIter', 'tol', 'regCovar', 'seed', 'executor', 'threads', 'signal', 'onProgress'] as const;

interface Checked {
  k: number;
  type: CovarianceType;
  init: 'kmeans' | 'k-means++' | 'random' | 'explicit';
  means?: Float64Array;
  weights?: Float64Array;
  /** Precisions as given, flat in the type's shape. */
  precisions?: Float64Array;
  nInit: number;
  maxIter: number;
  tol: number;
  regCovar: number;
  seed: number;
}

function finiteArray(v: unknown, path: string, length: number): number[] {
  if (!Array.isArray(v) || v.length !== length) throw new SegkitError('E_BAD_OPTION', `option "${path}" must be an array of ${length} numbers, got ${describe(v)}`);
  // by index: forEach would pass over a hole, which then reads as NaN
  for (let i = 0; i < length; i++) {
    if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) throw new SegkitError('E_BAD_OPTION', `option "${path}[${i}]" must be a finite number, got ${describe(v[i])}`);
  }
  return v;
}

/**
 * Checks an explicit start; a precision matrix must be symmetric and positive definite as scikit-learn 1.2 asks:
 * np.allclose(P, P.T) with numpy's default tolerances (`allcloseToTranspose`), and its lower triangle has a factor.
 */
function checkStart(s: GaussianMixtureStart, k: number, d: number, type: CovarianceType): Pick<Checked, 'means' | 'weights' | 'precisions'> {
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw badOption('init', s, '"kmeans", "k-means++", "random" or { means, weights?, precisions? }');
  for (const key of Object.keys(s)) {
    if (key !== 'means' && key !== 'weights' && key !== 'precisions') throw new SegkitError('E_BAD_OPTION', `option "init" has an unknown field "${key}"`, 'init takes { means, weights?, precisions? }');
  }
  if (!Array.isArray(s.means) || s.means.length !== k) throw badOption('init.means', s.means, `${k} rows (one per component)`);
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) means.set(finiteArray(s.means[c], `init.means[${c}]`, d), c * d);
  let weights: Float64Array | undefined;
  if (s.weights !== undefined) {
    weights = Float64Array.from(finiteArray(s.weights, 'init.weights', k));
    let sum = 0;
    weights.forEach((w, c) => {
      if (w < 0 || w > 1) throw new SegkitError('E_BAD_OPTION', `option "init.weights[${c}]" must be between 0 and 1, got ${w}`);
      sum += w;
    });
    if (Math.abs(1 - sum) > 1e-8) throw new SegkitError('E_BAD_OPTION', `option "init.weights" must sum to 1, got ${sum}`);
  }
  let precisions: Float64Array | undefined;
  if (s.precisions !== undefined) {
    const p = s.precisions;
    const fail = (what: string) => new SegkitError('E_BAD_OPTION', `option "init.precisions" ${what}`, `a ${type} mixture takes ${type === 'full' ? `${k} matrices of ${d} x ${d}` : type === 'tied' ? `one ${d} x ${d} matrix` : type === 'diag' ? `${k} rows of ${d} values` : `${k} values`}`);
    precisions = new Float64Array(covLength(type, k, d));
    if (type === 'spherical') {
      precisions.set(finiteArray(p, 'init.precisions', k));
    } else if (type === 'diag') {
      if (!Array.isArray(p) || p.length !== k) throw fail(`must have ${k} rows, got ${describe(p)}`);
      for (let c = 0; c < k; c++) precisions.set(finiteArray(p[c], `init.precisions[${c}]`, d), c * d);
    } else {
      if (type === 'full' && (!Array.isArray(p) || p.length !== k)) throw fail(`must have ${k} matrices, got ${describe(p)}`);
      const mats: readonly unknown[] = type === 'full' ? p : [p];
      for (let c = 0; c < mats.length; c++) {
        const mat = mats[c];
        if (!Array.isArray(mat) || mat.length !== d) throw fail(`${type === 'full' ? `[${c}] ` : ''}must have ${d} rows, got ${describe(mat)}`);
        for (let i = 0; i < d; i++) precisions.set(finiteArray(mat[i], `init.precisions${type === 'full' ? `[${c}]` : ''}[${i}]`, d), c * d * d + i * d);
        const m = precisions.subarray(c * d * d, (c + 1) * d * d);
        if (!allcloseToTranspose(m, d)) throw fail(`${type === 'full' ? `[${c}] ` : ''}is not symmetric`);
        // the lower triangle, as scikit-learn factors it (linalg.cholesky(lower=True))
        for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) m[j * d + i] = m[i * d + j];
        if (!upperFromPrecision(m, d)) throw fail(`${type === 'full' ? `[${c}] ` : ''}is not positive definite`);
      }
    }
    if ((type === 'diag' || type === 'spherical') && precisions.some((v) => !(v > 0))) throw fail('must be positive');
  }
  return { means, weights, precisions };
}

function checkGmmOptions(o: GaussianMixtureOptions, ds: Dataset): Checked {
  if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with at least { k }');
  checkOptions(o, GMM_OPTIONS, 'gaussianMixture');
  const { k } = o;
  if (!Number.isInteger(k) || k < 1) throw badOption('k', k, 'a positive integer');
  if (k > ds.n) throw new SegkitError('E_TOO_FEW_DISTINCT', `option "k" is ${k} but the data has only ${ds.n} rows`, 'a mixture needs at least one row per component');
  const type = orDefault(o.covarianceType, gaussianMixtureDefaults.covarianceType);
  if (!COVARIANCE_TYPES.includes(type)) throw badOption('covarianceType', type, COVARIANCE_TYPES.map((t) => `"${t}"`).join(', '));
  const rawInit = orDefault(o.init, gaussianMixtureDefaults.init);
  let init: Checked['init'];
  let start: Pick<Checked, 'means' | 'weights' | 'precisions'> = {};
  if (typeof rawInit === 'string') {
    if (rawInit !== 'kmeans' && rawInit !== 'k-means++' && rawInit !== 'random') throw badOption('init', rawInit, '"kmeans", "k-means++", "random" or { means, weights?, precisions? }');
    init = rawInit;
  } else {
    init = 'explicit';
    start = checkStart(rawInit, k, ds.d, type);
  }
  const int = (name: string, v: unknown, min: number): number => {
    if (!Number.isInteger(v) || (v as number) < min) throw badOption(name, v, `an integer >= ${min}`);
    return v as number;
  };
  const nInit = int('nInit', orDefault(o.nInit, gaussianMixtureDefaults.nInit), 1);
  const maxIter = int('maxIter', orDefault(o.maxIter, gaussianMixtureDefaults.maxIter), 1);
  const tol = orDefault(o.tol, gaussianMixtureDefaults.tol);
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) throw badOption('tol', tol, 'a finite number >= 0');
  const regCovar = orDefault(o.regCovar, gaussianMixtureDefaults.regCovar);
  if (typeof regCovar !== 'number' || !(regCovar >= 0) || !Number.isFinite(regCovar)) throw badOption('regCovar', regCovar, 'a finite number >= 0');
  const seed = orDefault(o.seed, gaussianMixtureDefaults.seed);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer of at most 2^53 in magnitude');
  return { k, type, init, ...start, nInit, maxIter, tol, regCovar, seed };
}

/**
 * sum x x^T over every row (d x d) about the data's zero (in the stored coordinates' scale), for tied covariances from
 * a k-means++ start: scikit-learn's X^T X, which is not the same about the column means.
 */
async function gramOf(m: Matrix, signal?: AbortSignal): Promise<Float64Array> {
  const d = m.d;
  const { stats } = await gmmPass(m, { k: 1, layout: GMM_FULL, shift: originOf(m), source: 'ones', stats: true, keep: [] }, signal);
  const G = new Float64Array(d * d);
  let q = 1 + d;
  for (let j = 0; j < d; j++) for (let i = 0; i <= j; i++) G[i * d + j] = G[j * d + i] = stats![q++];
  return G;
}

/** The data's zero in the stored coordinates x' = (x - offset) * scale. */
const originOf = (m: Matrix): Float64Array => Float64Array.from(m.offset, (v) => -v * m.scale);

const seedFrom = (rng: Random): number => Math.floor(rng.next() * 0x7fffffff);

/** The statistics' layout: tied covariances sum each component's scatter, so they take the full layout's. */
const statsLayout = (t: CovarianceType) => (t === 'tied' ? GMM_FULL : layoutOf(t));

/**
 * Starting parameters (stored coordinates), as scikit-learn's `_initialize_parameters` then `_initialize`: one
 * M-step on the starting responsibilities, weights = nk / n; explicit values replace what was computed.
 */
async function initialise(m: Matrix, ds: Dataset, o: Checked, rng: Random, signal?: AbortSignal): Promise<GmmParams> {
  const { k, type } = o;
  const { d, n } = m;
  const reg = o.regCovar * m.scale ** 2;
  const origin = originOf(m);
  const fromStats = (stats: Float64Array, shift: Float64Array) => mStep({ type, k, d, stats, shift, n, reg, regCovar: o.regCovar, origin, normalise: false });
  if (o.init === 'kmeans' || o.init === 'random') {
    if (o.init === 'random') {
      const { stats } = await gmmPass(m, { k, layout: statsLayout(type), shift: new Float64Array(k * d), source: 'random', seed: seedFrom(rng), stats: true, keep: [] }, signal);
      return fromStats(stats!, new Float64Array(k * d));
    }
    const km = await fitKMeans(m, ds, { k, seed: seedFrom(rng), nInit: 1, signal });
    await m.ex.writeRows(m.handle, 'labels', km.labels, { signal });
    const shift = new Float64Array(k * d);
    for (let q = 0; q < shift.length; q++) shift[q] = (km.centroidData[q] - m.offset[q % d]) * m.scale;
    const { stats } = await gmmPass(m, { k, layout: statsLayout(type), shift, source: 'labels', stats: true, keep: [] }, signal);
    return fromStats(stats!, shift);
  }
  if (o.init === 'k-means++') {
    // one-hot responsibilities on the k seeded rows only: nk = 1 + 10 eps, means those rows, covariances regCovar
    const rows = await kmeansPlusPlus(m, k, rng, signal);
    const stats = new Float64Array(k * statsWidth(type, d));
    for (let c = 0; c < k; c++) stats[c * statsWidth(type, d)] = 1;
    return mStep({ type, k, d, stats, shift: rows, gram: type === 'tied' ? await gramOf(m, signal) : undefined, n, reg, regCovar: o.regCovar, origin, normalise: false });
  }
  // explicit: what is not given comes from the rows nearest each given mean
  const means = new Float64Array(k * d);
  for (let q = 0; q < means.length; q++) means[q] = (o.means![q] - m.offset[q % d]) * m.scale;
  let params: GmmParams | undefined;
  if (!o.weights || !o.precisions) {
    // each row's nearest mean by an E-step of equal unit spherical components: the kernel measures x - mean, so means
    // nearer each other than float32 resolves |x|^2 - 2 x.c at the rows' norms (k-means' labels) still take their rows
    const unit = new Float64Array(k).fill(1);
    await gmmPass(m, { params: { k, d, type: 'spherical', weights: unit, means, precChol: unit }, k, source: 'estep', stats: false, keep: ['labels'] }, signal);
    const { stats } = await gmmPass(m, { k, layout: statsLayout(type), shift: means, source: 'labels', stats: true, keep: [] }, signal);
    params = fromStats(stats!, means);
  }
  const weights = o.weights ? Float64Array.from(o.weights) : params!.weights;
  let precChol: Float64Array;
  if (o.precisions) {
    // the factors (checked on the values given) scaled by 1 / scale, not the precisions by 1 / scale^2: the same bits
    // (scale is a power of two), and a precision far below or above the data's scale neither underflows nor overflows
    const P = o.precisions;
    if (type === 'full' || type === 'tied') {
      precChol = new Float64Array(P.length);
      for (let c = 0; c < P.length / (d * d); c++) precChol.set(upperFromPrecision(P.subarray(c * d * d, (c + 1) * d * d), d)!, c * d * d);
      for (let q = 0; q < precChol.length; q++) precChol[q] /= m.scale;
    } else {
      precChol = Float64Array.from(P, (v) => Math.sqrt(v) / m.scale);
    }
    return { k, d, type, weights, means, precChol };
  }
  return { k, d, type, weights, means, covariances: params!.covariances, precChol: params!.precChol };
}

/**
 * A mixture fit on data already loaded (chooseK fits many k on one load); the same result as `gaussianMixture`,
 * with the training rows' log-likelihood under the final parameters (for BIC and AIC without another load).
 */
export async function fitGaussianMixture(m: Matrix, ds: Dataset, options: GaussianMixtureOptions): Promise<{ model: GaussianMixtureModel; logLikelihood: number }> {
  const o = checkGmmOptions(options, ds);
  // k-means++ seeds k distinct rows (as the default start's k-means does): too few is the data's, named as such
  if (o.init === 'k-means++') checkDistinct(ds, o.k);
  const { k, type } = o;
  const { n, d } = m;
  const { signal } = options;
  const reg = o.regCovar * m.scale ** 2;
  // log-likelihoods of the stored coordinates x' = (x - offset) * scale differ from the data's by d log(scale)
  const shiftLL = d * log(m.scale);
  const origin = originOf(m);
  const rng = createRandom(o.seed);
  let best: { params: GmmParams; lowerBound: number; iterations: number; converged: boolean } | undefined;
  for (let run = 0; run < o.nInit; run++) {
    throwIfAborted(signal);
    let params = await initialise(m, ds, o, rng.fork(), signal);
    let lowerBound = -Infinity, converged = false, iterations = 0;
    for (let it = 1; it <= o.maxIter; it++) {
      throwIfAborted(signal);
      iterations = it;
      const prev = lowerBound;
      // tied: the shared factor for every component, so the statistics hold each component's scatter
      const { total, stats } = await gmmPass(m, { params: type === 'tied' ? tiedAsFull(params) : params, k, source: 'estep', stats: true, keep: [] }, signal);
      lowerBound = total / n + shiftLL;
      if (!Number.isFinite(lowerBound)) throw new SegkitError('E_SINGULAR', `the mixture's log-likelihood is ${lowerBound} at iteration ${it}`, 'use covarianceType "diag" or a larger regCovar');
      params = mStep({ type, k, d, stats: stats!, shift: params.means, n, reg, regCovar: o.regCovar, origin, normalise: true });
      const change = lowerBound - prev;
      options.onProgress?.({ run, iteration: it, lowerBound, change });
      if (Math.abs(change) < o.tol) {
        converged = true;
        break;
      }
    }
    if (!best || lowerBound > best.lowerBound) best = { params, lowerBound, iterations, converged };
  }
  // a final E-step, so the labels are the model's predictions for the training rows
  const last = await gmmPass(m, { params: best!.params, k, source: 'estep', stats: false, keep: ['labels'] }, signal);
  const labels = (await m.ex.readRows(m.handle, 'labels', { signal })) as Int32Array;
  const p = rescale(best!.params, m.offset, m.scale, true);
  const model = new GaussianMixtureModel({
    k, featureNames: [...ds.names], covarianceType: type, weights: p.weights, means: p.means, covariances: p.covariances!,
    offset: m.offset, regCovar: o.regCovar, labels, lowerBound: best!.lowerBound, iterations: best!.iterations, converged: best!.converged,
  });
  return { model, logLikelihood: last.total + n * shiftLL };
}

/**
 * Gaussian mixture by expectation-maximisation (scikit-learn's GaussianMixture): soft membership of every row in
 * every component, four covariance types, Cholesky precisions, log-space E-step in a SIMD kernel and the M-step's
 * sufficient statistics as shard partials, so a seeded fit is byte-identical on every executor.
 * @example
 * const gmm = await gaussianMixture(rows, { k: 4, covarianceType: 'diag', seed: 1 });
 * const proba = await gmm.predictProba(newRows); // n x k, row-major
 */
export async function gaussianMixture(data: DataInput, options: GaussianMixtureOptions): Promise<GaussianMixtureModel> {
  const ds = toDataset(data);
  assertResolution(ds);
  checkGmmOptions(options, ds);
  throwIfAborted(options.signal);
  const ex = resolveExecutor(options);
  const m = await loadMatrix(ex, ds, { signal: options.signal, shardRows: mixtureShardRows(ds.n) });
  try {
    return (await fitGaussianMixture(m, ds, options)).model;
  } finally {
    await m.release();
  }
}

