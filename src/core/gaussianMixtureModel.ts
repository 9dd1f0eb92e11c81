import { describe } from '../util/errors.js';
import { at, badModel, FLOAT32_MAX, modelValue, readArray, readBoolean, readEnum, readNumber, readObject, readStrings } from '../util/modelJson.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import type { DataInput } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { loadMatrix } from '../engine/matrix.js';
import { asymmetry } from './gmmLinalg.js';
import { gmmPass, mixtureShardRows, type GmmPassState } from './gmmOps.js';
import { COVARIANCE_TYPES, covLength, nParameters, precisionCholesky, rescale, type CovarianceType, type GmmParams } from './gmmParams.js';
import type { ModelJSON, RunOptions, SegmentationModel } from './model.js';
import { datasetFor } from './modelData.js';
import { log } from '../util/detMath.js';

export const GMM_FORMAT_VERSION = 1;

/** Covariances (or precision Cholesky factors) in scikit-learn's shapes. */
export type CovarianceArray = number[][][] | number[][] | number[];

export interface GaussianMixtureModelJSON extends ModelJSON {
  kind: 'gmm';
  version: number;
  k: number;
  featureNames: string[];
  covarianceType: CovarianceType;
  weights: number[];
  means: number[][];
  covariances: CovarianceArray;
  offset: number[];
  regCovar: number;
  lowerBound: number;
  iterations: number;
  converged: boolean;
  nSamples: number;
}

interface Parts {
  k: number;
  featureNames: string[];
  covarianceType: CovarianceType;
  weights: Float64Array;
  means: Float64Array;
  covariances: Float64Array;
  offset: Float64Array;
  regCovar: number;
  labels: Int32Array;
  lowerBound: number;
  iterations: number;
  converged: boolean;
  nSamples?: number;
}

/** Flat values in scikit-learn's nested shape for a covariance type. */
function nest(v: Float64Array, t: CovarianceType, k: number, d: number): CovarianceArray {
  const rows = (a: Float64Array, r: number, c: number) => Array.from({ length: r }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c)));
  if (t === 'full') return Array.from({ length: k }, (_, c) => rows(v.subarray(c * d * d, (c + 1) * d * d), d, d));
  if (t === 'tied') return rows(v, d, d);
  if (t === 'diag') return rows(v, k, d);
  return Array.from(v);
}

/**
 * A fitted Gaussian mixture: the result of `gaussianMixture`, or loaded with `loadModel` /
 * `GaussianMixtureModel.fromJSON`. Soft membership (`predictProba`), log-likelihoods, BIC and AIC on any data.
 */
export class GaussianMixtureModel implements SegmentationModel {
  readonly kind = 'gmm' as const;
  readonly k: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  readonly covarianceType: CovarianceType;
  /** Labels of the training rows: their most probable component (empty for a model loaded from JSON). */
  readonly labels: Int32Array;
  /** Mean log-likelihood per row of the last E-step of the fit (scikit-learn's lower_bound_). */
  readonly lowerBound: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly nSamples: number;
  readonly regCovar: number;
  /** Flat parameters: weights (k), means (k x d), covariances and precision Cholesky factors (the type's shape). */
  readonly weightData: Float64Array;
  readonly meanData: Float64Array;
  readonly covarianceData: Float64Array;
  readonly precisionCholeskyData: Float64Array;
  private readonly offset: Float64Array;

  constructor(p: Parts) {
    this.k = p.k;
    this.d = p.featureNames.length;
    this.featureNames = Object.freeze([...p.featureNames]);
    this.covarianceType = p.covarianceType;
    this.weightData = p.weights;
    this.meanData = p.means;
    this.covarianceData = p.covariances;
    this.precisionCholeskyData = precisionCholesky(p.covariances, p.covarianceType, p.k, this.d, p.regCovar);
    this.offset = p.offset;
    this.regCovar = p.regCovar;
    this.labels = p.labels;
    this.lowerBound = p.lowerBound;
    this.iterations = p.iterations;
    this.converged = p.converged;
    this.nSamples = p.nSamples ?? p.labels.length;
  }

  get weights(): number[] {
    return Array.from(this.weightData);
  }

  /** Component means as k arrays of d numbers. */
  get means(): number[][] {
    return Array.from({ length: this.k }, (_, c) => Array.from(this.meanData.subarray(c * this.d, (c + 1) * this.d)));
  }

  /** full: k x d x d; tied: d x d; diag: k x d; spherical: k (scikit-learn's covariances_). */
  get covariances(): CovarianceArray {
    return nest(this.covarianceData, this.covarianceType, this.k, this.d);
  }

  /** Cholesky factors of the precisions, in scikit-learn's precisions_cholesky_ shapes. */
  get precisionsCholesky(): CovarianceArray {
    return nest(this.precisionCholeskyData, this.covarianceType, this.k, this.d);
  }

  /** Free parameters, as counted by BIC and AIC. */
  get nParameters(): number {
    return nParameters(this.covarianceType, this.k, this.d);
  }

  private params(): GmmParams {
    return { k: this.k, d: this.d, type: this.covarianceType, weights: this.weightData, means: this.meanData, covariances: this.covarianceData, precChol: this.precisionCholeskyData };
  }

  /** One E-step over the rows (centred by the model's offset); reads back the per-row outputs asked for. */
  private async pass(data: DataInput, options: RunOptions, fn: string, keep: GmmPassState['keep']): Promise<{ n: number; rows: Record<string, Float64Array | Int32Array>; shift: number }> {
    checkOptions(options, RUN_OPTIONS, fn);
    const ds = datasetFor(data, this.featureNames, fn);
    const ex = resolveExecutor(options);
    // the model's range: each component's mean less the offset, plus its spread (the trace of its covariance), so a
    // mixture whose means sit at the offset is not scaled up past the rows it describes
    const { d, k } = this;
    const cov = this.covarianceData, type = this.covarianceType;
    let far = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        s += (this.meanData[c * d + j] - this.offset[j]) ** 2;
        // a spread wider than float32 rows can lie apart scales them no further: past it, rows near the other
        // components' means would underflow float32 and be scored as the offset
        s += Math.min(varianceOf(cov, type, c, j, d), FLOAT32_MAX ** 2);
      }
      far = Math.max(far, s);
    }
    // the scale comes from the model alone, so no row's result depends on the rest of the batch
    const m = await loadMatrix(ex, ds, { offset: this.offset, alsoSquaredNorm: far, modelScale: true, shardRows: mixtureShardRows(ds.n), signal: options.signal });
    try {
      const params = rescale(this.params(), this.offset, m.scale);
      await gmmPass(m, { params, k: this.k, source: 'estep', stats: false, keep }, options.signal);
      const rows: Record<string, Float64Array | Int32Array> = {};
      for (const name of keep) rows[name] = (await ex.readRows(m.handle, name, { signal: options.signal })) as Float64Array | Int32Array;
      return { n: ds.n, rows, shift: this.d * log(m.scale) };
    } finally {
      await m.release();
    }
  }

  /** The most probable component of each row. */
  async predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    return (await this.pass(data, options, 'predict', ['labels'])).rows.labels as Int32Array;
  }

  /** Each row's probability of belonging to each component: row-major n x k (row i at [i * k, (i + 1) * k)), rows sum to 1. */
  async predictProba(data: DataInput, options: RunOptions = {}): Promise<Float64Array> {
    return (await this.pass(data, options, 'predictProba', ['resp'])).rows.resp as Float64Array;
  }

  /** Each row's log-likelihood under the mixture (scikit-learn's score_samples). */
  async scoreSamples(data: DataInput, options: RunOptions = {}): Promise<Float64Array> {
    const r = await this.pass(data, options, 'scoreSamples', ['score']);
    const s = r.rows.score as Float64Array;
    if (r.shift !== 0) for (let i = 0; i < s.length; i++) s[i] += r.shift;
    return s;
  }

  /** Mean log-likelihood per row. */
  async score(data: DataInput, options: RunOptions = {}): Promise<number> {
    const s = await this.scoreSamples(data, options);
    let t = 0;
    for (let i = 0; i < s.length; i++) t += s[i];
    return t / s.length;
  }

  /** Bayesian information criterion on the data: -2 log L + p ln n (lower is better). */
  async bic(data: DataInput, options: RunOptions = {}): Promise<number> {
    const s = await this.scoreSamples(data, options);
    return -2 * sum(s) + this.nParameters * log(s.length);
  }

  /** Akaike information criterion on the data: -2 log L + 2 p (lower is better). */
  async aic(data: DataInput, options: RunOptions = {}): Promise<number> {
    const s = await this.scoreSamples(data, options);
    return -2 * sum(s) + 2 * this.nParameters;
  }

  toJSON(): GaussianMixtureModelJSON {
    return {
      kind: 'gmm',
      version: GMM_FORMAT_VERSION,
      k: this.k,
      featureNames: [...this.featureNames],
      covarianceType: this.covarianceType,
      weights: this.weights,
      means: this.means,
      covariances: this.covariances,
      offset: Array.from(this.offset),
      regCovar: this.regCovar,
      lowerBound: this.lowerBound,
      iterations: this.iterations,
      converged: this.converged,
      nSamples: this.nSamples,
    };
  }

  /** Loads a model saved with `toJSON` (an object or JSON text); every field is checked and a bad one named. */
  static fromJSON(json: unknown): GaussianMixtureModel {
    const o = modelValue(json);
    const r = readObject(o, '', GMM_KEYS);
    if (r.kind !== 'gmm') throw badModel('kind', `must be "gmm", got ${describe(r.kind)}`);
    if (r.version !== GMM_FORMAT_VERSION) throw badModel('version', `must be ${GMM_FORMAT_VERSION} (the version this segkit reads), got ${describe(r.version)}`);
    const k = r.k;
    if (!Number.isInteger(k) || (k as number) < 1) throw badModel('k', `must be a positive integer, got ${describe(k)}`);
    const names = readStrings(r.featureNames, 'featureNames', undefined, true);
    if (names.length === 0) throw badModel('featureNames', 'must name at least one feature');
    const d = names.length;
    const type = readEnum(r.covarianceType, 'covarianceType', COVARIANCE_TYPES);
    const f32 = (v: unknown, path: string): number => {
      const x = readNumber(v, path);
      if (!Number.isFinite(Math.fround(x))) throw badModel(path, `is ${x}, beyond float32's range (3.4e38)`);
      return x;
    };
    const flat = (v: unknown, path: string, shape: number[], read = f32): Float64Array => {
      const out: number[] = [];
      const walk = (x: unknown, p: string, depth: number): void => {
        if (depth === shape.length) { out.push(read(x, p)); return; }
        readArray(x, p, shape[depth]).forEach((y, i) => walk(y, at(p, i), depth + 1));
      };
      walk(v, path, 0);
      return Float64Array.from(out);
    };
    const kk = k as number;
    const weights = flat(r.weights, 'weights', [kk], readNumber);
    let total = 0;
    weights.forEach((w, c) => {
      if (w < 0 || w > 1) throw badModel(at('weights', c), `must be between 0 and 1, got ${w}`);
      total += w;
    });
    if (Math.abs(total - 1) > 1e-8) throw badModel('weights', `must sum to 1, got ${total}`);
    const means = flat(r.means, 'means', [kk, d]);
    const shape = type === 'full' ? [kk, d, d] : type === 'tied' ? [d, d] : type === 'diag' ? [kk, d] : [kk];
    const covariances = flat(r.covariances, 'covariances', shape, readNumber);
    // rows are centred by the offset in float32: means less any other value would sit off the rows by the rounding
    const offset = flat(r.offset, 'offset', [d]).map(Math.fround);
    const regCovar = readNumber(r.regCovar, 'regCovar');
    if (regCovar < 0) throw badModel('regCovar', `must be >= 0, got ${regCovar}`);
    if (type === 'full' || type === 'tied') {
      for (let c = 0; c < covLength(type, kk, d) / (d * d); c++) {
        if (asymmetry(covariances.subarray(c * d * d, (c + 1) * d * d), d) > 1e-8) throw badModel(type === 'full' ? at('covariances', c) : 'covariances', 'must be symmetric');
      }
    }
    // a covariance that is not positive definite is named as such before the offset is weighed against the variances
    let precisions: Float64Array;
    try {
      precisions = precisionCholesky(covariances, type, kk, d, regCovar);
    } catch (e) {
      const c = /component (\d+)/.exec((e as Error).message)?.[1];
      throw badModel(c !== undefined ? at('covariances', Number(c)) : 'covariances', 'must be positive definite');
    }
    // a variance so small (5e-324) that squared distances times its precision overflow would score rows NaN: float32
    // rows (at most 3.4e38 apart, 1e77 squared) keep finite scores while every precision factor is at most 1e100
    const open = precisions.findIndex((v) => !(Math.abs(v) <= 1e100));
    if (open >= 0) {
      const per = type === 'full' ? d * d : type === 'diag' ? d : 1;
      throw badModel(type === 'tied' ? 'covariances' : at('covariances', Math.floor(open / per)), 'must not be so near singular that scores overflow (a variance of at least about 1e-200)');
    }
    checkOffset(offset, weights, means, covariances, type, kk, d);
    const lowerBound = readNumber(r.lowerBound, 'lowerBound');
    const count = (key: string, min = 0): number => {
      const v = r[key];
      if (!Number.isSafeInteger(v) || (v as number) < min) throw badModel(key, `must be an integer >= ${min ? `k (${min})` : 0} of at most 2^53, got ${describe(v)}`);
      return v as number;
    };
    return new GaussianMixtureModel({
      k: kk, featureNames: names, covarianceType: type, weights, means, covariances, offset, regCovar,
      labels: new Int32Array(0), lowerBound, iterations: count('iterations'), converged: readBoolean(r.converged, 'converged'), nSamples: count('nSamples', kk),
    });
  }
}

/** Component c's variance of feature j, from covariances laid out for `type`. */
function varianceOf(cov: Float64Array, type: CovarianceType, c: number, j: number, d: number): number {
  return type === 'full' ? cov[(c * d + j) * d + j] : type === 'tied' ? cov[j * d + j] : type === 'diag' ? cov[c * d + j] : cov[c];
}

/**
 * The offset is the float32 mean of the training rows, which EM's last M-step also puts at the weights' average of
 * the means: one far from it would centre new rows in float32 far from their values and lose their digits. Allowed:
 * 1% of the feature's standard deviation under the model, and float32 rounding.
 */
function checkOffset(offset: Float64Array, weights: Float64Array, means: Float64Array, cov: Float64Array, type: CovarianceType, k: number, d: number): void {
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let c = 0; c < k; c++) mean += weights[c] * means[c * d + j];
    let variance = 0;
    for (let c = 0; c < k; c++) {
      const own = varianceOf(cov, type, c, j, d);
      variance += weights[c] * (own + (means[c * d + j] - mean) ** 2);
    }
    const allowed = 0.01 * Math.sqrt(variance) + 2 ** -20 * Math.max(Math.abs(mean), Math.abs(offset[j]));
    if (!(Math.abs(offset[j] - mean) <= allowed)) {
      throw badModel(at('offset', j), `must be the training rows' mean, which the weights and means put at ${mean}; got ${offset[j]}`);
    }
  }
}

const GMM_KEYS = ['kind', 'version', 'k', 'featureNames', 'covarianceType', 'weights', 'means', 'covariances', 'offset', 'regCovar', 'lowerBound', 'iterations', 'converged', 'nSamples'] as const;

function sum(a: Float64Array): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i];
  return t;
}
