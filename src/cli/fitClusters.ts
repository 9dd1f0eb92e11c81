// Fits for the algorithms other than k-means on the command line: dbscan, hdbscan and agglomerative (one tree
// for every k when --k auto), with what their reports show beside the segments.
import { agglomerative } from '../core/agglomerative.js';
import type { AgglomerativeModel } from '../core/agglomerativeModel.js';
import { dbscan } from '../core/dbscan.js';
import type { DensityCounts } from '../core/dbscanModel.js';
import { hdbscan, hdbscanDefaults, type HdbscanResult } from '../core/hdbscan.js';
import type { SegmentationModel } from '../core/model.js';
import type { Dataset } from '../data/dataset.js';
import { SegkitError } from '../util/errors.js';
import { chooseK, type ChooseKResult } from '../workflow/chooseK.js';
import { linkageWords, type DensityFlags } from './densityOptions.js';
import { UsageError } from './exitCodes.js';
import { sweepKs, type FitFlags } from './fitOptions.js';
import type { RunContext } from './runContext.js';
import { EXACT_SILHOUETTE_ROWS } from './silhouette.js';

export interface ClusterFit {
  model: SegmentationModel;
  sweep?: ChooseKResult;
  /** dbscan: core and border points per cluster, and the noise. */
  density?: DensityCounts;
  /** agglomerative: the fitted tree. */
  tree?: AgglomerativeModel;
}

/** HDBSCAN's result seen through the model interface for profiles and reports; it cannot score new rows. */
function hdbscanModel(r: HdbscanResult): SegmentationModel {
  const refuse = (): never => {
    throw new SegkitError('E_BAD_OPTION', 'hdbscan has no rule for new rows: it neither predicts nor saves a model', 'fit dbscan, agglomerative or kmeans to score new customers');
  };
  const nUnassigned = r.labels.reduce((a, l) => a + (l < 0 ? 1 : 0), 0);
  return { kind: 'hdbscan', k: r.k, labels: r.labels, featureNames: r.featureNames, nSamples: r.nSamples, nUnassigned, predict: async () => refuse(), toJSON: refuse };
}

export async function fitClusters(data: Dataset, f: DensityFlags & FitFlags & { k: number | 'auto' }, ctx: RunContext): Promise<ClusterFit> {
  const run = { threads: ctx.threads, signal: ctx.signal };
  const bar = ctx.progress.start(`fitting ${f.algorithm}`, 1);
  try {
    if (f.algorithm === 'dbscan') {
      const model = await dbscan(data, { eps: f.eps!, minSamples: f.minSamples, metric: f.metric, ...run });
      return { model, density: model.counts() };
    }
    if (f.algorithm === 'hdbscan') {
      // min samples defaults to the min cluster size: name the flag that set it
      const minClusterSize = f.minClusterSize ?? hdbscanDefaults.minClusterSize;
      const minSamples = f.minSamples ?? minClusterSize;
      if (minSamples > data.n) {
        const flag = f.minSamples !== undefined ? `--min-samples ${minSamples}` : f.minClusterSize !== undefined ? `--min-cluster-size ${minClusterSize}` : `--min-cluster-size (default ${minClusterSize})`;
        throw new UsageError(`${flag}: --algorithm hdbscan needs at least that many rows, the data has ${data.n}`);
      }
      const r = await hdbscan(data, { minClusterSize: f.minClusterSize, minSamples: f.minSamples, clusterSelectionMethod: f.clusterSelection, ...run });
      return { model: hdbscanModel(r) };
    }
    const linkage = f.linkage ?? 'ward';
    if (f.k === 'auto') {
      const sweep = await chooseK(data, {
        algorithm: 'agglomerative', linkage, kRange: sweepKs(f, data, ctx), seed: f.seed, silhouetteSampleSize: EXACT_SILHOUETTE_ROWS, keepModels: true, ...run,
      }).catch((error: unknown) => { throw linkageWords(error); });
      const model = sweep.models!.get(sweep.recommendedK) as AgglomerativeModel;
      return { model, sweep, tree: model };
    }
    const model = await agglomerative(data, { k: f.k, linkage, ...run }).catch((error: unknown) => { throw linkageWords(error); });
    return { model, tree: model };
  } finally {
    bar.stop();
  }
}
