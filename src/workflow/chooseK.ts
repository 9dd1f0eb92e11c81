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
import { fitKMeans } from '../core/kmeans.js';
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
  /** The algorithm fitted at each k: 'kmeans', or 'agglomerative' (one tree, cut at every k). */
  algorithm?: 'kmeans' | 'agglomerative';
  /** Linkage of the agglomerative tree (default 'ward'). */
  linkage?: Linkage;
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

const CHOOSE_K_OPTIONS = ['kRange', 'seed', 'nInit', 'maxIter', 'tol', 'silhouetteSampleSize', 'algorithm', 'linkage', 'keepModels', 'onProgress', ...RUN_OPTIONS];

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
  if (algorithm !== 'kmeans' && algorithm !== 'agglomerative') throw badOption('algorithm', options.algorithm, '"kmeans" or "agglomerative"');
  const linkage = options.linkage ?? 'ward';
  if (!(LINKAGES as readonly unknown[]).includes(linkage)) throw badOption('linkage', linkage, LINKAGES.map((l) => `"${l}"`).join(', '));
  if (options.linkage !== undefined && algorithm !== 'agglomerative') throw new SegkitError('E_BAD_OPTION', 'option "linkage" applies only with algorithm "agglomerative"');
  const ex = resolveExecutor(options);
  const { signal } = options;
  const table: KScore[] = [];
  const models = options.keepModels ? new Map<number, SegmentationModel>() : undefined;
  // one load for every k: each fit and its scores run on the same loaded rows
  const m = await loadMatrix(ex, ds, { signal });
  try {
    // one tree gives every k at once
    const Z = algorithm === 'agglomerative' ? await linkageMatrix(ex, ds, linkage, signal) : undefined;
    for (const k of ks) {
      throwIfAborted(signal);
      const model = Z
        ? agglomerativeAt(ds, Z, linkage, k)
        : await fitKMeans(m, ds, { k, seed, nInit: options.nInit, maxIter: options.maxIter, tol: options.tol, signal });
      await ex.writeRows(m.handle, 'labels', model.labels, { signal });
      const stats = await matrixClusterStats(m, k, signal);
      const silhouette = await silhouetteScore(ds, model.labels, { executor: ex, signal, ...(ds.n > sampleSize ? { sampleSize, seed } : {}) });
      table.push({
        k, inertia: model instanceof AgglomerativeModel ? stats.sumSq.reduce((a, b) => a + b, 0) : model.inertia, silhouette,
        calinskiHarabasz: calinskiHarabaszFromStats(stats), daviesBouldin: daviesBouldinFromStats(stats),
        iterations: model instanceof AgglomerativeModel ? 0 : model.iterations,
      });
      models?.set(k, model);
      options.onProgress?.({ k, done: table.length, total: ks.length });
    }
  } finally {
    await m.release();
  }
  return { table, ...recommend(table, ds.n > sampleSize ? sampleSize : null), ...(models ? { models } : {}) };
}

function agglomerativeAt(ds: Dataset, Z: Float64Array, linkage: Linkage, k: number): AgglomerativeModel {
  const labels = cutLinkage(Z, ds.n, k);
  return new AgglomerativeModel({ featureNames: [...ds.names], linkage, k, labels, linkageMatrix: Z, centroids: centroidsOf(ds, labels, k) });
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
