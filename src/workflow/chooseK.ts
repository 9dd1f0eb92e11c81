import { toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { SegkitError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor } from '../engine/executor.js';
import { loadMatrix } from '../engine/matrix.js';
import { calinskiHarabaszFromStats } from '../metrics/calinskiHarabaszScore.js';
import { matrixClusterStats } from '../metrics/clusterStats.js';
import { daviesBouldinFromStats } from '../metrics/daviesBouldinScore.js';
import { silhouetteScore } from '../metrics/silhouetteScore.js';
import { fitGaussianMixture } from '../core/gaussianMixture.js';
import { COVARIANCE_TYPES, nParameters, type CovarianceType } from '../core/gmmParams.js';
import { fitKMeans } from '../core/kmeans.js';
import { fitMiniBatchKMeans } from '../core/miniBatchKMeans.js';
import { centroidsOf, linkageMatrix } from '../core/agglomerative.js';
import { AgglomerativeModel, LINKAGES, type Linkage } from '../core/agglomerativeModel.js';
import { cutLinkage } from '../core/linkageTree.js';
import type { SegmentationModel } from '../core/model.js';
import { kneedle } from '../core/kneedle.js';

export interface ChooseKOptions {
  /** Inclusive range [min, max] or an explicit list of k values; default [2, 10]. */
  kRange?: readonly [number, number] | readonly number[];
  seed?: number;
  nInit?: number | 'auto';
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
}

export interface ChooseKResult {
  table: KScore[];
  /** The elbow of inertia by Kneedle (Satopää et al. 2011), or null when the curve has no knee. */
  elbowK: number | null;
  /** The k with the highest silhouette. */
  silhouetteK: number;
  recommendedK: number;
  /** 'strong' (silhouette >= 0.5), 'moderate' (>= 0.25) or 'weak' (Kaufman & Rousseeuw's reading of the silhouette). */
  evidence: 'strong' | 'moderate' | 'weak';
  /** The recommendation and why, in plain words. */
  reason: string;
  /** Mixtures: the k (and covariance type) with the lowest BIC, and the k with the lowest AIC. */
  bicK?: number;
  aicK?: number;
  covarianceType?: CovarianceType;
  /** The fitted model per k (for mixtures, of the recommended covariance type). */
  models?: Map<number, SegmentationModel>;
}

export const chooseKDefaults = Object.freeze({ kRange: [2, 10] as const, seed: 0, silhouetteSampleSize: 10_000 });

function kValues(range: ChooseKOptions['kRange'], n: number): number[] {
  const r = range ?? chooseKDefaults.kRange;
  if (!Array.isArray(r) || r.length === 0) throw badOption('kRange', r, '[min, max] or a list of k values');
  for (const k of r) if (!Number.isInteger(k) || k < 2) throw badOption('kRange', r, 'integers >= 2');
  // a pair [min, max] is a range, clamped to n - 1 before it is expanded; longer lists are taken as they are
  const ks = r.length === 2 && r[1] > r[0] + 1
    ? Array.from({ length: Math.max(0, Math.min(r[1], n - 1) - r[0] + 1) }, (_, i) => r[0] + i)
    : [...r];
  const out = [...new Set(ks)].sort((a, b) => a - b).filter((k) => k < n);
  if (out.length < 1) throw new SegkitError('E_BAD_OPTION', `option "kRange" has no k below the number of rows (${n})`);
  return out;
}

const CHOOSE_K_OPTIONS = ['kRange', 'seed', 'nInit', 'maxIter', 'tol', 'silhouetteSampleSize', 'algorithm', 'linkage', 'covarianceType', 'init', 'batchSize', 'keepModels', 'onProgress', ...RUN_OPTIONS];
const ALGORITHMS = ['kmeans', 'minibatch-kmeans', 'agglomerative', 'gmm'] as const;

function covarianceTypes(o: ChooseKOptions): CovarianceType[] {
  const raw = o.covarianceType ?? 'full';
  if (o.algorithm !== 'gmm' && o.covarianceType !== undefined) throw new SegkitError('E_BAD_OPTION', 'option "covarianceType" applies only with algorithm "gmm"');
  const list = Array.isArray(raw) ? [...raw] : [raw];
  if (list.length === 0 || list.some((t) => !COVARIANCE_TYPES.includes(t))) throw badOption('covarianceType', raw, `one of ${COVARIANCE_TYPES.map((t) => `"${t}"`).join(', ')}, or a list of them`);
  return [...new Set(list)];
}

/**
 * Fits k-means for each k and scores it (inertia, silhouette, Calinski-Harabasz, Davies-Bouldin), then recommends k:
 * the elbow of the inertia curve and the best silhouette, with the reason in plain words.
 * @example
 * const { recommendedK, reason, table } = await chooseK(rows, { kRange: [2, 10], seed: 1 });
 */
export async function chooseK(data: DataInput, options: ChooseKOptions = {}): Promise<ChooseKResult> {
  checkOptions(options, CHOOSE_K_OPTIONS, 'chooseK');
  const ds = toDataset(data);
  const ks = kValues(options.kRange, ds.n);
  const seed = options.seed ?? chooseKDefaults.seed;
  const sampleSize = options.silhouetteSampleSize ?? chooseKDefaults.silhouetteSampleSize;
  if (!Number.isInteger(sampleSize) || sampleSize < 10) throw badOption('silhouetteSampleSize', sampleSize, 'an integer >= 10');
  const algorithm = options.algorithm ?? 'kmeans';
  if (!ALGORITHMS.includes(algorithm)) throw badOption('algorithm', options.algorithm, ALGORITHMS.map((a) => `"${a}"`).join(', '));
  const types = covarianceTypes(options);
  const linkage = options.linkage ?? 'ward';
  if (!(LINKAGES as readonly unknown[]).includes(linkage)) throw badOption('linkage', linkage, LINKAGES.map((l) => `"${l}"`).join(', '));
  if (options.linkage !== undefined && algorithm !== 'agglomerative') throw new SegkitError('E_BAD_OPTION', 'option "linkage" applies only with algorithm "agglomerative"');
  const ex = resolveExecutor(options);
  const { signal } = options;
  const table: KScore[] = [];
  const models = options.keepModels ? new Map<number, SegmentationModel>() : undefined;
  // one load for every k: each fit and its scores run on the same loaded rows
  const m = await loadMatrix(ex, ds, { signal });
  const total = ks.length * (algorithm === 'gmm' ? types.length : 1);
  const chosen = new Map<number, { model: SegmentationModel; bic: number }>();
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
        if (Z) model = agglomerativeAt(ds, Z, linkage, k);
        else if (algorithm === 'kmeans') model = await fitKMeans(m, ds, { k, seed, nInit: options.nInit, maxIter: options.maxIter, tol: options.tol, signal, ...init });
        else if (algorithm === 'minibatch-kmeans') model = await fitMiniBatchKMeans(m, ds, { ...common, nInit: options.nInit, batchSize: options.batchSize, ...init });
        else {
          const fit = await fitGaussianMixture(m, ds, { ...common, covarianceType: type, ...init });
          model = fit.model;
          // scikit-learn's bic and aic on the training rows
          const p = nParameters(type!, k, ds.d);
          mixture = { covarianceType: type, bic: -2 * fit.logLikelihood + p * Math.log(ds.n), aic: -2 * fit.logLikelihood + 2 * p, logLikelihood: fit.logLikelihood / ds.n };
          const had = chosen.get(k);
          if (!had || mixture.bic! < had.bic) chosen.set(k, { model, bic: mixture.bic! });
        }
        await ex.writeRows(m.handle, 'labels', model.labels, { signal });
        const stats = await matrixClusterStats(m, k, signal);
        const silhouette = await silhouetteScore(ds, model.labels, { executor: ex, signal, ...(ds.n > sampleSize ? { sampleSize, seed } : {}) });
        table.push({
          k, inertia: model.inertia ?? stats.sumSq.reduce((a, b) => a + b, 0), silhouette,
          calinskiHarabasz: calinskiHarabaszFromStats(stats), daviesBouldin: daviesBouldinFromStats(stats),
          iterations: model.iterations ?? 0, ...mixture,
        });
        if (algorithm !== 'gmm') models?.set(k, model);
        options.onProgress?.({ k, done: table.length, total });
      }
    }
  } finally {
    await m.release();
  }
  if (algorithm === 'gmm') {
    if (models) for (const [k, c] of chosen) models.set(k, c.model);
    return { table, ...recommendByCriteria(table, ds.n > sampleSize ? sampleSize : null), ...(models ? { models } : {}) };
  }
  return { table, ...recommend(table, ds.n > sampleSize ? sampleSize : null), ...(models ? { models } : {}) };
}

function agglomerativeAt(ds: Dataset, Z: Float64Array, linkage: Linkage, k: number): AgglomerativeModel {
  const labels = cutLinkage(Z, ds.n, k);
  return new AgglomerativeModel({ featureNames: [...ds.names], linkage, k, labels, linkageMatrix: Z, centroids: centroidsOf(ds, labels, k) });
}

const evidenceOf = (s: number): ChooseKResult['evidence'] => (s >= 0.5 ? 'strong' : s >= 0.25 ? 'moderate' : 'weak');

/** Mixtures: the lowest BIC decides (Schwarz 1978: it penalises parameters by ln n), AIC is reported beside it. */
function recommendByCriteria(table: KScore[], sampled: number | null): Omit<ChooseKResult, 'table' | 'models'> {
  const best = table.reduce((a, b) => (b.bic! < a.bic! ? b : a));
  const byAic = table.reduce((a, b) => (b.aic! < a.aic! ? b : a));
  const bestSil = table.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
  const evidence = evidenceOf(best.silhouette);
  const several = new Set(table.map((r) => r.covarianceType)).size > 1;
  const what = (r: KScore) => `k = ${r.k}${several ? ` (${r.covarianceType} covariances)` : ''}`;
  const silText = `${sampled ? `sampled (${sampled} rows) ` : ''}silhouette`;
  let reason = `${what(best)} has the lowest BIC (${best.bic!.toFixed(1)}): the best fit once each extra parameter is paid for. `;
  reason += byAic === best
    ? 'AIC agrees. '
    : `AIC, which penalises parameters less, prefers ${what(byAic)} (${byAic.aic!.toFixed(1)}); BIC's choice is the more cautious. `;
  reason += `Its ${silText} is ${best.silhouette.toFixed(3)} (${evidence} separation of the hard labels)`;
  reason += evidence === 'weak'
    ? ': the components overlap, so read the segments as soft memberships rather than distinct groups.'
    : bestSil.k !== best.k ? `; the best silhouette is at k = ${bestSil.k} (${bestSil.silhouette.toFixed(3)}), which rewards round, separated groups rather than likelihood.` : '.';
  return { elbowK: null, silhouetteK: bestSil.k, recommendedK: best.k, evidence, reason, bicK: best.k, aicK: byAic.k, covarianceType: best.covarianceType };
}

function recommend(table: KScore[], sampled: number | null): Omit<ChooseKResult, 'table' | 'models'> {
  const best = table.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
  const elbow = table.length >= 3
    ? kneedle(table.map((r) => r.k), table.map((r) => r.inertia), { curve: 'convex', direction: 'decreasing' }).knee
    : null;
  const s = best.silhouette;
  const evidence = s >= 0.5 ? 'strong' : s >= 0.25 ? 'moderate' : 'weak';
  const silText = `${sampled ? `sampled (${sampled} rows) ` : ''}silhouette ${s.toFixed(3)}`;
  let recommendedK = best.k;
  let reason: string;
  if (evidence === 'weak') {
    reason = `The evidence for segments is weak: the best ${silText} at k = ${best.k} is below 0.25, so the data shows no substantial cluster structure. `
      + `Segments at any k would be arbitrary cuts of a continuum; consider other features, or use k = ${best.k} only as a coarse grouping.`;
  } else if (elbow === null) {
    reason = `k = ${best.k} has the best ${silText} (${evidence} structure). The inertia curve has no clear elbow, so the silhouette decides.`;
  } else if (elbow === best.k) {
    reason = `k = ${best.k}: both the elbow of the inertia curve and the best ${silText} point to it (${evidence} structure).`;
  } else {
    const atElbow = table.find((r) => r.k === elbow)!;
    if (best.silhouette - atElbow.silhouette < 0.02) {
      recommendedK = elbow;
      reason = `k = ${elbow}: the elbow of the inertia curve, with a silhouette of ${atElbow.silhouette.toFixed(3)}, within 0.02 of the best (${s.toFixed(3)} at k = ${best.k}); `
        + `the simpler segmentation separates the customers about as well.`;
    } else {
      reason = `k = ${best.k}: the best ${silText} (${evidence} structure). The elbow of the inertia curve is at k = ${elbow}, `
        + `but its silhouette is lower (${atElbow.silhouette.toFixed(3)}): the elbow only says where extra segments stop paying off in compactness, `
        + `while the silhouette measures how well the segments separate. Compare both profiles before deciding.`;
    }
  }
  return { elbowK: elbow, silhouetteK: best.k, recommendedK, evidence, reason };
}
