import { assertResolution, toDataset, type DataInput } from '../data/dataset.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor } from '../engine/executor.js';
import { loadMatrix, type Matrix } from '../engine/matrix.js';
import { sumInShardOrder } from '../engine/merge.js';
import type { Labels } from './checkLabels.js';
import { internalLabels } from './internalLabels.js';
import { accumulateOp, labelDistancesOp } from './metricOps.js';

export interface MetricOptions {
  executor?: Executor;
  threads?: number;
  signal?: AbortSignal;
}

/** Per-cluster statistics from two passes of the kernels: centroids, sizes, and sums of squared and plain distances. */
export interface ClusterStats {
  n: number;
  d: number;
  k: number;
  /** Row-major k x d centroids, in the data's own coordinates. */
  centroids: Float64Array;
  /** Overall mean of the data. */
  mean: Float64Array;
  counts: Float64Array;
  /** Sum over each cluster of |x - centroid|^2. */
  sumSq: Float64Array;
  /** Sum over each cluster of |x - centroid|. */
  sumDist: Float64Array;
}

/** Cluster statistics of loaded rows whose per-row `labels` hold 0..k-1 (and the centres in the loaded coordinates). */
export async function matrixClusterStats(m: Matrix, k: number, signal?: AbortSignal): Promise<ClusterStats & { loadedCentres: Float64Array }> {
  const { ex, handle, d, n } = m;
  const p = sumInShardOrder(await ex.map(accumulateOp, handle, { k }, { signal }));
  const counts = p.slice(k * d);
  const centres = new Float64Array(k * d), mean = new Float64Array(d);
  for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) {
    centres[t * d + j] = p[t * d + j] / counts[t];
    mean[j] += p[t * d + j] / n;
  }
  const q = sumInShardOrder(await ex.map(labelDistancesOp, handle, { centres, k }, { signal }));
  // back to the data's own coordinates and units
  const s = m.scale;
  const centroids = Float64Array.from(centres, (v, i) => v / s + m.offset[i % d]);
  for (let j = 0; j < d; j++) mean[j] = mean[j] / s + m.offset[j];
  return {
    n, d, k, centroids, mean, counts, loadedCentres: centres,
    sumSq: Float64Array.from(q.subarray(0, k), (v) => v / (s * s)),
    sumDist: Float64Array.from(q.subarray(k), (v) => v / s),
  };
}

/** Centroids, sizes and within-cluster distance sums of a labelling (the basis of inertia, Calinski-Harabasz and Davies-Bouldin). */
export async function clusterStats(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<ClusterStats> {
  const { loadedCentres: _, ...stats } = await withLabels(data, labels, options, 'clusterStats', matrixClusterStats, true);
  return stats;
}

/** Loads the rows with their labels (0..k-1 in order of the label values) and runs `use` on them (any k with `anyCount`). */
export async function withLabels<T>(
  data: DataInput, labels: Labels, options: MetricOptions, fn: string, use: (m: Matrix, k: number, signal?: AbortSignal) => Promise<T>, anyCount = false,
): Promise<T> {
  checkOptions(options, RUN_OPTIONS, fn);
  const ds = toDataset(data);
  assertResolution(ds);
  const enc = internalLabels(labels, ds.n, anyCount);
  const m = await loadMatrix(resolveExecutor(options), ds, { rows: { labels: enc.index }, signal: options.signal });
  try {
    return await use(m, enc.values.length, options.signal);
  } finally {
    await m.release();
  }
}
