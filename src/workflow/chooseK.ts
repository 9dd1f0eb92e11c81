import { assertResolution, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { SegkitError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS, orDefault } from '../util/options.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor } from '../engine/executor.js';
import { loadMatrix } from '../engine/matrix.js';
import { mixtureShardRows } from '../core/gmmOps.js';
import { calinskiHarabaszFromStats } from '../metrics/calinskiHarabaszScore.js';
import { matrixClusterStats } from '../metrics/clusterStats.js';
import { daviesBouldinFromStats } from '../metrics/daviesBouldinScore.js';
import { silhouetteScore } from '../metrics/silhouetteScore.js';
import { sampleRows as silhouetteRows } from '../metrics/silhouetteSamples.js';
import { fitGaussianMixture } from '../core/gaussianMixture.js';
import { COVARIANCE_TYPES, nParameters, type CovarianceType } from '../core/gmmParams.js';
import { fitMiniBatchKMeans } from '../core/miniBatchKMeans.js';
import { adjustedRandScore } from '../metrics/adjustedRandScore.js';
import { createRandom } from '../util/random.js';
import { fromColumns } from '../data/dataset.js';
import { distinctRows, fitKMeans, kmeans } from '../core/kmeans.js';
import { centroidsOf, linkageMatrix } from '../core/agglomerative.js';
import { AgglomerativeModel, LINKAGES, type Linkage } from '../core/agglomerativeModel.js';
import { cutLinkage } from '../core/linkageTree.js';
import type { SegmentationModel } from '../core/model.js';
import { kneedle } from '../core/kneedle.js';
import { log } from '../util/detMath.js';

export interface ChooseKOptions {
  /** Inclusive range [min, max] (capped at n - 1 and at the distinct rows) or an explicit list of k values (each below n and at most the distinct rows, else refused); default [2, 10]. */
  kRange?: readonly [number, number] | readonly number[];
  seed?: number;
  /** Restarts per k: k-means 4 up to 200,000 rows, 2 above; mixtures 1; mini-batch 'auto' (1, or 3 with init 'random'). */
  nInit?: number | 'auto';
  /** Resampled k-means fits per k for the stability score (default 6; 0 turns stability off; algorithm 'kmeans' only). */
  stabilityResamples?: number;
  /** Rows the stability fits are drawn from and compared on (a seeded sample; default 5,000). */
  stabilitySampleSize?: number;
  maxIter?: number;
  tol?: number;
  /** Silhouette on a seeded sample of this many rows when the data is larger (exact below it). */
  silhouetteSampleSize?: number;
  /**
   * The algorithm fitted at each k: 'kmeans', 'minibatch-kmeans', 'agglomerative' (one tree, cut at every k), or
   * 'gmm' (Gaussian mixtures, scored by BIC and AIC).
   */
  algorithm?: 'kmeans' | 'minibatch-kmeans' | 'agglomerative' | 'gmm';
  /** Linkage of the agglomerative tree (default 'ward'). */
  linkage?: Linkage;
  /** Mixtures only: the covariance type, or several to compare (default 'full'). */
  covarianceType?: CovarianceType | readonly CovarianceType[];
  /** The start of each fit, as the algorithm takes it ('k-means++', 'k-means||', 'random'; mixtures: 'kmeans', 'k-means++', 'random'). */
  init?: string;
  /** Mini-batch k-means: rows per step. */
  batchSize?: number;
  executor?: Executor;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: { k: number; done: number; total: number }) => void;
  /** Keep every fitted model in the result (memory: one label array per k). */
  keepModels?: boolean;
}

export interface KScore {
  k: number;
  inertia: number;
  silhouette: number;
  calinskiHarabasz: number;
  daviesBouldin: number;
  iterations: number;
  /** Mixtures: the covariance type of this row, its BIC and AIC on the rows (lower is better), and the mean log-likelihood. */
  covarianceType?: CovarianceType;
  bic?: number;
  aic?: number;
  logLikelihood?: number;
  /** Mean adjusted Rand index between fits on resampled subsets (1 = the same segments every time; NaN when off). */
  stability: number;
}

export interface ChooseKResult {
  table: KScore[];
  /** The elbow of inertia by Kneedle (Satopää et al. 2011), or null when the curve has no knee. */
  elbowK: number | null;
  /** The k with the highest silhouette (NaN when no k has one: a mixture whose fits all left components empty, or samples that each hold one segment). */
  silhouetteK: number;
  /** The k with the highest stability (null when stability is off). */
  stabilityK: number | null;
  recommendedK: number;
  /** Stability of the recommended k: 'stable' (ARI >= 0.8), 'fair' (>= 0.6), 'unstable', or null when off. */
  stabilityOfRecommended: 'stable' | 'fair' | 'unstable' | null;
  /** 'strong' (silhouette >= 0.5), 'moderate' (>= 0.25) or 'weak' (Kaufman & Rousseeuw's reading of the silhouette), of the recommended k. */
  evidence: 'strong' | 'moderate' | 'weak';
  /** The recommendation and why, in plain words. */
  reason: string;
  /** Mixtures: the k (and covariance type) with the lowest BIC, and the k with the lowest AIC. */
  bicK?: number;
  aicK?: number;
  covarianceType?: CovarianceType;
  /** The fitted model per k (for mixtures, of the covariance type with the lowest BIC at that k: at recommendedK, the recommended one). */
  models?: Map<number, SegmentationModel>;
  /**
   * The k (with their covariance type, for mixtures) whose fit was refused with E_TOO_FEW_DISTINCT (float32 centring
   * made distinct rows one, so the fit ended with equal or empty centres), and why; they are left out of the table and
   * the recommendation, which the reason says. Present only when some k was left out; when every k is, the sweep fails
   * with the smallest k's error. (covarianceType is undefined but for mixtures.)
   */
  notFitted?: { k: number; covarianceType?: CovarianceType; code: 'E_TOO_FEW_DISTINCT'; message: string }[];
}

export const chooseKDefaults = Object.freeze({
  kRange: [2, 10] as const, seed: 0, silhouetteSampleSize: 10_000,
  /** Restarts per k up to this many rows (4), fewer (2) above it. */
  nInitRows: 200_000, stabilityResamples: 6, stabilitySampleSize: 5_000, stabilityFraction: 0.8,
});

function kValues(range: ChooseKOptions['kRange'], n: number): number[] {
  const r = range ?? chooseKDefaults.kRange;
  if (!Array.isArray(r) || r.length === 0) throw badOption('kRange', r, '[min, max] or a list of k values');
  for (const k of r) if (!Number.isInteger(k) || k < 2) throw badOption('kRange', r, 'integers >= 2');
  // a pair is a range: one that runs downwards is a slip, not the two k values it would otherwise be read as
  if (r.length === 2 && r[0] > r[1]) throw badOption('kRange', r, `[min, max] with min <= max (the range [${r[1]}, ${r[0]}]?)`);
  // a pair [min, max] is a range, clamped to n - 1 before it is expanded; longer lists are taken as they are
  const ks = r.length === 2 && r[1] > r[0] + 1
    ? Array.from({ length: Math.max(0, Math.min(r[1], n - 1) - r[0] + 1) }, (_, i) => r[0] + i)
    : [...r];
  const all = [...new Set(ks)].sort((a, b) => a - b);
  const out = all.filter((k) => k < n);
  if (out.length < 1) throw new SegkitError('E_BAD_OPTION', `option "kRange" has no k below the number of rows (${n})`);
  // a listed k is fitted or refused, never dropped unseen
  if (r.length > 2 && out.length < all.length) throw new SegkitError('E_BAD_OPTION', `option "kRange" holds k = ${all[out.length]} but k must be below the ${n} rows`);
  return out;
}

/**
 * The k values no larger than the distinct rows: a range is capped there as at n - 1 (k segments of fewer rows would
 * put identical customers apart), and a listed k above them is refused.
 */
function apartKs(ks: number[], range: ChooseKOptions['kRange'], ds: Dataset): number[] {
  const distinct = distinctRows(ds, ks[ks.length - 1]);
  const apart = ks.filter((k) => k <= distinct);
  if (apart.length === ks.length || ((range ?? chooseKDefaults.kRange).length === 2 && apart.length > 0)) return apart;
  throw new SegkitError('E_TOO_FEW_DISTINCT', `option "kRange" holds k = ${ks[apart.length]} but the data has only ${distinct} distinct rows`, 'lower the k values, or add features that tell the rows apart');
}

const ALGORITHMS = ['kmeans', 'minibatch-kmeans', 'agglomerative', 'gmm'] as const;

function covarianceTypes(o: ChooseKOptions): CovarianceType[] {
  const raw = orDefault(o.covarianceType, 'full');
  if (o.algorithm !== 'gmm' && o.covarianceType !== undefined) throw new SegkitError('E_BAD_OPTION', 'option "covarianceType" applies only with algorithm "gmm"');
  const list = Array.isArray(raw) ? [...raw] : [raw];
  if (list.length === 0 || list.some((t) => !COVARIANCE_TYPES.includes(t))) throw badOption('covarianceType', raw, `one of ${COVARIANCE_TYPES.map((t) => `"${t}"`).join(', ')}, or a list of them`);
  return [...new Set(list)];
}

/** k-means restarts per k when none are asked for: 4 up to 200,000 rows, 2 above (a fixed k fitted alone uses the same). */
export function defaultRestarts(rows: number): number {
  if (typeof rows !== 'number' || !(rows >= 0)) throw badOption('rows', rows, 'a number of rows >= 0');
  return rows <= chooseKDefaults.nInitRows ? 4 : 2;
}

const CHOOSE_K_OPTIONS = ['kRange', 'seed', 'nInit', 'maxIter', 'tol', 'silhouetteSampleSize', 'stabilityResamples', 'stabilitySampleSize', 'algorithm', 'linkage', 'covarianceType', 'init', 'batchSize', 'keepModels', 'onProgress', ...RUN_OPTIONS];

/** A dataset of m of its rows drawn without replacement (partial Fisher-Yates), kept in row order. */
function sampleRows(ds: Dataset, m: number, rng: ReturnType<typeof createRandom>): Dataset {
  const idx = Int32Array.from({ length: ds.n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(ds.n - i);
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
  }
  const rows = idx.subarray(0, m).sort();
  return fromColumns({ columns: ds.columns.map((c) => Float32Array.from(rows, (r) => c[r])), names: ds.names });
}

/**
 * Stability of k (Ben-Hur, Elisseeff & Guyon 2002; Lange et al. 2004): B fits on random subsets of 80% of an
 * evaluation sample, each labelling the whole sample; the mean adjusted Rand index over all pairs of fits.
 * Costs B k-means fits on at most 0.8 x stabilitySampleSize rows per k, whatever the data size.
 */
async function stabilityOf(evalSet: Dataset, k: number, resamples: number, seed: number, o: { maxIter?: number; tol?: number; init?: string; executor: Executor; signal?: AbortSignal }): Promise<number> {
  // the high 32 bits folded into the low ones, as the generator took every seed before it kept seeds past 32 bits apart
  const x = seed * 7919 + k;
  const rng = createRandom(Math.trunc(x) ^ Math.trunc(x / 0x100000000));
  const m = evalSet.n;
  const fraction = Math.floor(m * chooseKDefaults.stabilityFraction);
  // with k + 1 rows or more than the subset holds, the "subsets" would be (nearly) the whole sample, fitted alike:
  // agreement measured so says nothing about stability
  if (k + 1 > fraction) return NaN;
  const take = fraction;
  const labels: Int32Array[] = [];
  for (let b = 0; b < resamples; b++) {
    const part = sampleRows(evalSet, take, rng);
    let fit;
    try {
      // the same start as the sweep's fits
      fit = await kmeans(part, { k, seed: rng.int(2 ** 31), nInit: 1, maxIter: o.maxIter, tol: o.tol, executor: o.executor, signal: o.signal, ...(o.init === undefined ? {} : { init: o.init as 'k-means++' }) });
    } catch (e) {
      if (e instanceof SegkitError && e.code === 'E_TOO_FEW_DISTINCT') return NaN;
      throw e;
    }
    labels.push(await fit.predict(evalSet, { executor: o.executor, signal: o.signal }));
  }
  let sum = 0, pairs = 0;
  for (let a = 0; a < labels.length; a++) for (let b = a + 1; b < labels.length; b++) { sum += adjustedRandScore(labels[a], labels[b]); pairs++; }
  return pairs ? sum / pairs : NaN;
}

/**
 * Fits k-means for each k and scores it (inertia, silhouette, Calinski-Harabasz, Davies-Bouldin), then recommends k:
 * the elbow of the inertia curve and the best silhouette, with the reason in plain words. With `algorithm: 'gmm'` the
 * rows are sharded as `gaussianMixture` shards them, so each k's mixture is the one a direct fit gives; its table
 * scores then equal the standalone metrics up to the order of their sums (the last bits of a float64).
 * @example
 * const { recommendedK, reason, table } = await chooseK(rows, { kRange: [2, 10], seed: 1 });
 */
export async function chooseK(data: DataInput, options: ChooseKOptions = {}): Promise<ChooseKResult> {
  checkOptions(options, CHOOSE_K_OPTIONS, 'chooseK');
  const ds = toDataset(data);
  assertResolution(ds);
  const ks = apartKs(kValues(options.kRange, ds.n), options.kRange, ds);
  const seed = orDefault(options.seed, chooseKDefaults.seed);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer');
  // 'false' would keep every model
  if (options.keepModels !== undefined && typeof options.keepModels !== 'boolean') throw badOption('keepModels', options.keepModels, 'true or false');
  const sampleSize = orDefault(options.silhouetteSampleSize, chooseKDefaults.silhouetteSampleSize);
  if (!Number.isInteger(sampleSize) || sampleSize < 10) throw badOption('silhouetteSampleSize', sampleSize, 'an integer >= 10');
  const algorithm = orDefault(options.algorithm, 'kmeans');
  if (!ALGORITHMS.includes(algorithm)) throw badOption('algorithm', options.algorithm, ALGORITHMS.map((a) => `"${a}"`).join(', '));
  const types = covarianceTypes(options);
  const linkage = orDefault(options.linkage, 'ward');
  if (!(LINKAGES as readonly unknown[]).includes(linkage)) throw badOption('linkage', linkage, LINKAGES.map((l) => `"${l}"`).join(', '));
  if (options.linkage !== undefined && algorithm !== 'agglomerative') throw new SegkitError('E_BAD_OPTION', 'option "linkage" applies only with algorithm "agglomerative"');
  for (const name of ['stabilityResamples', 'stabilitySampleSize'] as const) {
    if (options[name] !== undefined && algorithm !== 'kmeans') throw new SegkitError('E_BAD_OPTION', `option "${name}" applies only with algorithm "kmeans" (stability is measured by refitting k-means)`);
  }
  // one tree, cut at every k: nothing is fitted per k, so the fitting options would change nothing
  for (const name of ['nInit', 'maxIter', 'tol', 'init'] as const) {
    if (options[name] !== undefined && algorithm === 'agglomerative') throw new SegkitError('E_BAD_OPTION', `option "${name}" does not apply with algorithm "agglomerative"`);
  }
  if (options.batchSize !== undefined && algorithm !== 'minibatch-kmeans') throw new SegkitError('E_BAD_OPTION', 'option "batchSize" applies only with algorithm "minibatch-kmeans"');
  const resamples = orDefault(options.stabilityResamples, chooseKDefaults.stabilityResamples);
  if (!Number.isInteger(resamples) || resamples < 0 || resamples === 1) throw badOption('stabilityResamples', resamples, 'an integer >= 2 (or 0 to turn stability off)');
  const stabilityRows = orDefault(options.stabilitySampleSize, chooseKDefaults.stabilitySampleSize);
  if (!Number.isInteger(stabilityRows) || stabilityRows < 20) throw badOption('stabilitySampleSize', stabilityRows, 'an integer >= 20');
  const nInit = orDefault(options.nInit, defaultRestarts(ds.n));
  const ex = resolveExecutor(options);
  const { signal } = options;
  const table: KScore[] = [];
  // one seeded evaluation sample for every k's stability fits
  let evalSet: Dataset | undefined;
  // stability is measured by refitting k-means; an agglomerative sweep reports none (NaN)
  if (resamples > 0 && algorithm === 'kmeans') {
    if (ds.n <= stabilityRows) evalSet = ds;
    else evalSet = sampleRows(ds, stabilityRows, createRandom(seed ^ 0x5bd1e995));
  }
  const models = options.keepModels ? new Map<number, SegmentationModel>() : undefined;
  // one load for every k: each fit and its scores run on the same loaded rows (sharded as the direct fit shards them)
  const m = await loadMatrix(ex, ds, { signal, ...(algorithm === 'gmm' ? { shardRows: mixtureShardRows(ds.n) } : {}) });
  const total = ks.length * (algorithm === 'gmm' ? types.length : 1);
  const chosen = new Map<number, { model: SegmentationModel; bic: number }>();
  // the rows the sampled silhouette scores (the same seeded sample silhouetteScore draws)
  const silRows = ds.n > sampleSize ? silhouetteRows(ds.n, sampleSize, seed) : null;
  // the k whose fit float32 centring made impossible: reported, and the others still compared
  const notFitted: NonNullable<ChooseKResult['notFitted']> = [];
  let refused: unknown, done = 0;
  try {
    // one tree gives every k at once
    const Z = algorithm === 'agglomerative' ? await linkageMatrix(ex, ds, linkage, signal) : undefined;
    for (const type of algorithm === 'gmm' ? types : [undefined]) {
      for (const k of ks) {
        throwIfAborted(signal);
        const common = { k, seed, nInit: options.nInit === 'auto' ? undefined : options.nInit, maxIter: options.maxIter, tol: options.tol, signal };
        const init = options.init === undefined ? {} : { init: options.init as never };
        let model: SegmentationModel & { inertia?: number; iterations?: number };
        let mixture: Pick<KScore, 'covarianceType' | 'bic' | 'aic' | 'logLikelihood'> = {};
        let fit: Awaited<ReturnType<typeof fitGaussianMixture>> | undefined;
        try {
          if (Z) model = agglomerativeAt(ds, Z, linkage, k);
          else if (algorithm === 'kmeans') model = await fitKMeans(m, ds, { k, seed, nInit, maxIter: options.maxIter, tol: options.tol, signal, ...init });
          else if (algorithm === 'minibatch-kmeans') model = await fitMiniBatchKMeans(m, ds, { ...common, nInit: options.nInit, batchSize: options.batchSize, ...init });
          else model = (fit = await fitGaussianMixture(m, ds, { ...common, covarianceType: type, ...init })).model;
        } catch (e) {
          if ((e as SegkitError).code !== 'E_TOO_FEW_DISTINCT') throw e;
          refused ??= e;
          notFitted.push({ k, covarianceType: type, code: 'E_TOO_FEW_DISTINCT', message: (e as Error).message });
          options.onProgress?.({ k, done: ++done, total });
          continue;
        }
        if (fit) {
          // scikit-learn's bic and aic on the training rows
          const p = nParameters(type!, k, ds.d);
          mixture = { covarianceType: type, bic: -2 * fit.logLikelihood + p * log(ds.n), aic: -2 * fit.logLikelihood + 2 * p, logLikelihood: fit.logLikelihood / ds.n };
          const had = chosen.get(k);
          if (!had || mixture.bic! < had.bic) chosen.set(k, { model, bic: mixture.bic! });
        }
        await ex.writeRows(m.handle, 'labels', model.labels, { signal });
        const stats = await matrixClusterStats(m, k, signal);
        // a mixture may leave components empty: the comparisons need two segments holding customers (and all of
        // them holding some), else they are not defined (NaN), and such a k is never the best by them
        const occupied = stats.counts.filter((c) => c > 0).length;
        const compared = occupied >= 2 && occupied < ds.n;
        // a sample that holds one segment (a small one missed), or a segment per sampled row, defines no silhouette
        const sampled = silRows === null || definesSilhouette(model.labels, silRows);
        const silhouette = compared && sampled ? await silhouetteScore(ds, model.labels, { executor: ex, signal, ...(silRows ? { sampleSize, seed } : {}) }) : NaN;
        const whole = compared && occupied === k;
        table.push({
          k, inertia: model.inertia ?? stats.sumSq.reduce((a, b) => a + b, 0), silhouette,
          calinskiHarabasz: whole ? calinskiHarabaszFromStats(stats) : NaN, daviesBouldin: whole ? daviesBouldinFromStats(stats) : NaN,
          iterations: model.iterations ?? 0, ...mixture,
          stability: evalSet ? await stabilityOf(evalSet, k, resamples, seed, { maxIter: options.maxIter, tol: options.tol, init: options.init, executor: ex, signal }) : NaN,
        });
        if (algorithm !== 'gmm') models?.set(k, model);
        options.onProgress?.({ k, done: ++done, total });
      }
    }
  } finally {
    await m.release();
  }
  // no k could be fitted: the smallest k's refusal says why and what to do
  if (!table.length) throw refused;
  const out: Omit<ChooseKResult, 'table'> = algorithm === 'gmm'
    ? recommendByCriteria(table, ds.n > sampleSize ? sampleSize : null)
    : evalSet ? recommendStable(table, ds.n > sampleSize ? sampleSize : null, evalSet.n, resamples) : { ...recommend(table, ds.n > sampleSize ? sampleSize : null), stabilityK: null, stabilityOfRecommended: null };
  if (algorithm === 'gmm' && models) for (const [k, c] of chosen) models.set(k, c.model);
  if (notFitted.length) {
    out.notFitted = notFitted;
    out.reason = `${out.reason} Not compared: ${notFitted.map((r) => `k = ${r.k}${r.covarianceType ? ` (${r.covarianceType})` : ''}`).join(', ')}, which could not be fitted: ${notFitted[0].message}.`;
  }
  return { table, ...out, ...(models ? { models } : {}) };
}

function agglomerativeAt(ds: Dataset, Z: Float64Array, linkage: Linkage, k: number): AgglomerativeModel {
  const labels = cutLinkage(Z, ds.n, k);
  return new AgglomerativeModel({ featureNames: [...ds.names], linkage, k, labels, linkageMatrix: Z, centroids: centroidsOf(ds, labels, k) });
}

/** Whether the labels of the sampled rows form 2 to (rows - 1) segments, as the silhouette needs. */
function definesSilhouette(labels: ArrayLike<number>, rows: Int32Array): boolean {
  const seen = new Set<number>();
  for (const r of rows) seen.add(labels[r]);
  return seen.size >= 2 && seen.size < rows.length;
}

const evidenceOf = (s: number): ChooseKResult['evidence'] => (s >= 0.5 ? 'strong' : s >= 0.25 ? 'moderate' : 'weak');

/**
 * `v` to `digits` decimals, or more where rounding would carry it across one of `cuts` (0.2496 reads "0.2496", not
 * "0.250", beside "below 0.25"), so the number shown agrees with the word it is given.
 */
function fixedBy(v: number, digits: number, cuts: readonly number[]): string {
  let t = v.toFixed(digits);
  while (digits < 17 && cuts.some((c) => (+t >= c) !== (v >= c))) t = v.toFixed(++digits);
  return t;
}
const SIL_CUTS = [0.25, 0.5];
/** A silhouette to 3 decimals, more beside 0.25 and 0.5 (the weak, moderate and strong readings). */
const silFixed = (v: number): string => fixedBy(v, 3, SIL_CUTS);

/** The row with the highest silhouette; a row without one (components left empty, a sample missing segments) is never the best by it. */
export function bestBySilhouette<R extends { silhouette: number }>(table: readonly R[]): R {
  return table.reduce((a, b) => (b.silhouette > a.silhouette || Number.isNaN(a.silhouette) ? b : a));
}

/** Mixtures: the lowest BIC decides (Schwarz 1978: it penalises parameters by ln n), AIC is reported beside it. */
function recommendByCriteria(table: KScore[], sampled: number | null): Omit<ChooseKResult, 'table' | 'models'> {
  const best = table.reduce((a, b) => (b.bic! < a.bic! ? b : a));
  const byAic = table.reduce((a, b) => (b.aic! < a.aic! ? b : a));
  const bestSil = bestBySilhouette(table);
  const evidence = evidenceOf(best.silhouette);
  const several = new Set(table.map((r) => r.covarianceType)).size > 1;
  const what = (r: KScore) => `k = ${r.k}${several ? ` (${r.covarianceType} covariances)` : ''}`;
  const silText = `${sampled ? `sampled (${sampled} rows) ` : ''}silhouette`;
  let reason = `${what(best)} has the lowest BIC (${best.bic!.toFixed(1)}): the best fit once each extra parameter is paid for. `;
  reason += byAic === best
    ? 'AIC agrees. '
    : `AIC, which penalises parameters less, prefers ${what(byAic)} (${byAic.aic!.toFixed(1)}); BIC's choice is the more cautious. `;
  if (Number.isNaN(best.silhouette)) {
    // every component holds rows when Calinski-Harabasz is defined: then the sample missed a segment
    reason += `Its ${Number.isNaN(best.calinskiHarabasz) ? 'hard labels leave components empty' : 'sample holds a single segment'}, so its ${silText} is not defined: read the segments as soft memberships.`;
  } else {
    reason += `Its ${silText} is ${silFixed(best.silhouette)} (${evidence} separation of the hard labels)`;
    reason += evidence === 'weak'
      ? ': the components overlap, so read the segments as soft memberships rather than distinct groups.'
      : bestSil.k !== best.k ? `; the best silhouette is at k = ${bestSil.k} (${silFixed(bestSil.silhouette)}), which rewards round, separated groups rather than likelihood.` : '.';
  }
  return { elbowK: null, silhouetteK: Number.isNaN(bestSil.silhouette) ? NaN : bestSil.k, stabilityK: null, stabilityOfRecommended: null, recommendedK: best.k, evidence, reason, bicK: best.k, aicK: byAic.k, covarianceType: best.covarianceType };
}

/** Why no elbow was named: a curve of one or two k has none to find (Kneedle needs three points). */
const noElbow = (table: readonly KScore[]): string => (table.length < 3 ? `only ${table.length} k values were tried, too few for an elbow` : 'the inertia curve has no clear elbow');

function recommend(table: KScore[], sampled: number | null): Omit<ChooseKResult, 'table' | 'models' | 'stabilityK' | 'stabilityOfRecommended'> {
  const best = bestBySilhouette(table);
  const elbow = table.length >= 3
    ? kneedle(table.map((r) => r.k), table.map((r) => r.inertia), { curve: 'convex', direction: 'decreasing' }).knee
    : null;
  const s = best.silhouette;
  if (Number.isNaN(s)) {
    // no k has a silhouette: nothing says how well the segments separate, so the evidence cannot be more than weak
    const k = elbow ?? table[0].k;
    const reason = `No k has a ${sampled ? `sampled (${sampled} rows) ` : ''}silhouette: at every k the sample holds a single segment (a small segment it missed), `
      + `so how well the segments separate is not measured. ${elbow === null ? `The inertia curve has no clear elbow: k = ${k} is the smallest k tried.` : `k = ${k} is the elbow of the inertia curve.`} `
      + 'Raise silhouetteSampleSize to score the small segments.';
    return { elbowK: elbow, silhouetteK: NaN, recommendedK: k, evidence: 'weak', reason };
  }
  let evidence = evidenceOf(s);
  const silText = `${sampled ? `sampled (${sampled} rows) ` : ''}silhouette ${silFixed(s)}`;
  let recommendedK = best.k;
  let reason: string;
  if (evidence === 'weak') {
    reason = `The evidence for segments is weak: the best ${silText} at k = ${best.k} is below 0.25, so the data shows no substantial cluster structure. `
      + `Segments at any k would be arbitrary cuts of a continuum; consider other features, or use k = ${best.k} only as a coarse grouping.`;
  } else if (table.length < 2) {
    reason = `k = ${best.k} is the only k tried: ${silText} (${evidence} structure).`;
  } else if (elbow === null) {
    reason = `k = ${best.k} has the best ${silText} (${evidence} structure); ${noElbow(table)}, so the silhouette decides.`;
  } else if (elbow === best.k) {
    reason = `k = ${best.k}: both the elbow of the inertia curve and the best ${silText} point to it (${evidence} structure).`;
  } else {
    const atElbow = table.find((r) => r.k === elbow)!;
    if (best.silhouette - atElbow.silhouette < 0.02) {
      recommendedK = elbow;
      // the evidence is read from the k recommended, as with stability measured
      evidence = evidenceOf(atElbow.silhouette);
      reason = `k = ${elbow}: the elbow of the inertia curve, with a silhouette of ${silFixed(atElbow.silhouette)} (${evidence} structure), within 0.02 of the best (${silFixed(s)} at k = ${best.k}); `
        + `the simpler segmentation separates the customers about as well.`;
    } else {
      reason = `k = ${best.k}: the best ${silText} (${evidence} structure). The elbow of the inertia curve is at k = ${elbow}, `
        + `but ${Number.isNaN(atElbow.silhouette) ? 'it has no silhouette (its sample holds a single segment)' : `its silhouette is lower (${silFixed(atElbow.silhouette)})`}: the elbow only says where extra segments stop paying off in compactness, `
        + `while the silhouette measures how well the segments separate. Compare both profiles before deciding.`;
    }
  }
  return { elbowK: elbow, silhouetteK: best.k, recommendedK, evidence, reason };
}

const STABLE = 0.8, FAIR = 0.6, CANDIDATE = 0.75;
/** Stability is read as stable, fair or unstable at these, and a k counts among the stable choices from CANDIDATE. */
const STAB_CUTS = [FAIR, CANDIDATE, STABLE];

/** Why the k with the best silhouette was passed over: less stable, or its stability not measured (NaN). */
const higherSilhouette = (r: KScore): string => `k = ${r.k} has a higher silhouette (${silFixed(r.silhouette)}) but `
  + (Number.isNaN(r.stability)
    ? 'its stability is not measured (a resampled subset held fewer distinct rows than k, or too few rows), so it is not among the stable choices'
    : `its segments are less stable (${fixedBy(r.stability, 2, STAB_CUTS)})`);
const stabilityWord = (a: number): 'stable' | 'fair' | 'unstable' => (a >= STABLE ? 'stable' : a >= FAIR ? 'fair' : 'unstable');

/**
 * The recommendation when stability is measured: among the k whose segments come back when refitted on resampled
 * data (stability >= 0.75, or the most stable k when none is), the best silhouette; the elbow wins a near tie
 * (silhouette within 0.02). Evidence is weak when that silhouette is below 0.25 or the fits disagree (stability < 0.6).
 */
function recommendStable(table: KScore[], sampled: number | null, rows: number, resamples: number): Omit<ChooseKResult, 'table' | 'models'> {
  const plain = recommend(table, sampled);
  const finite = table.filter((r) => Number.isFinite(r.stability));
  const maxStab = finite.length ? Math.max(...finite.map((r) => r.stability)) : NaN;
  const stabilityK = finite.length ? finite.find((r) => r.stability === maxStab)!.k : null;
  let candidates = finite.filter((r) => r.stability >= CANDIDATE);
  if (!candidates.length) candidates = finite.filter((r) => r.stability >= maxStab - 0.05);
  if (!candidates.length) return { ...plain, stabilityK, stabilityOfRecommended: null };
  const best = bestBySilhouette(candidates);
  const atElbow = plain.elbowK === null ? undefined : candidates.find((r) => r.k === plain.elbowK);
  const chosen = atElbow && best.silhouette - atElbow.silhouette < 0.02 ? atElbow : best;
  const word = stabilityWord(chosen.stability);
  if (Number.isNaN(best.silhouette)) {
    // no stable k has a silhouette (each sample holds a single segment): stability alone says nothing of separation
    const pick = atElbow ?? candidates.reduce((a, b) => (b.stability > a.stability ? b : a));
    const reason = `The stable choices were k = ${candidates.map((r) => r.k).join(', ')}, but none has a ${sampled ? `sampled (${sampled} rows) ` : ''}silhouette: `
      + `each sample holds a single segment (a small segment it missed), so how well the segments separate is not measured. k = ${pick.k} `
      + `(${atElbow ? 'the elbow of the inertia curve, ' : ''}stability ${fixedBy(pick.stability, 2, STAB_CUTS)}) is a guess; raise silhouetteSampleSize to score the small segments.`;
    return { elbowK: plain.elbowK, silhouetteK: plain.silhouetteK, stabilityK, recommendedK: pick.k, evidence: 'weak', reason, stabilityOfRecommended: stabilityWord(pick.stability) };
  }
  const evidence: ChooseKResult['evidence'] = chosen.silhouette < 0.25 || chosen.stability < FAIR ? 'weak' : chosen.silhouette >= 0.5 && chosen.stability >= STABLE ? 'strong' : 'moderate';
  const sil = `${sampled ? `sampled (${sampled} rows) ` : ''}silhouette ${silFixed(chosen.silhouette)}`;
  const stab = `stability ${fixedBy(chosen.stability, 2, STAB_CUTS)} (${word}: mean adjusted Rand index of ${resamples} fits on random 80% subsets of ${rows} rows)`;
  const stableList = candidates.map((r) => r.k).join(', ');
  let reason: string;
  if (evidence === 'weak') {
    reason = `The evidence for segments is weak: the best choice, k = ${chosen.k}, has ${sil} and ${stab}. `
      + (chosen.stability < FAIR ? 'Refits on resampled customers disagree about the segments, so they are artefacts of the seed rather than structure in the data. ' : 'The silhouette is below 0.25: no substantial cluster structure. ')
      + `Consider other features, or use k = ${chosen.k} only as a coarse grouping.`;
  } else {
    const also = [
      plain.elbowK === chosen.k ? 'the elbow of the inertia curve agrees' : plain.elbowK === null ? noElbow(table) : `the elbow is at k = ${plain.elbowK}${candidates.some((r) => r.k === plain.elbowK) ? '' : ', whose segments do not come back reliably when refitted'}`,
      // the best silhouette overall, unless it is the stable k the elbow won a near tie against (said next)
      ...(plain.silhouetteK === chosen.k ? ['it also has the best silhouette overall'] : plain.silhouetteK === best.k ? [] : [higherSilhouette(table.find((r) => r.k === plain.silhouetteK)!)]),
      ...(best === chosen ? [] : [`k = ${best.k} has a higher silhouette (${silFixed(best.silhouette)}), within 0.02, so the elbow wins the near tie`]),
    ];
    reason = table.length < 2 ? `k = ${chosen.k} is the only k tried (${evidence} evidence): ${sil} and ${stab}.`
      : `k = ${chosen.k} (${evidence} evidence): ${sil} and ${stab}; the ${maxStab < CANDIDATE ? 'most stable choices (none reached 0.75)' : 'stable choices'} were k = ${stableList}, and ${also.join('; ')}.`;
  }
  return { elbowK: plain.elbowK, silhouetteK: plain.silhouetteK, stabilityK, recommendedK: chosen.k, evidence, reason, stabilityOfRecommended: word };
}
