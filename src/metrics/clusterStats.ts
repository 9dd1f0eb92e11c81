import { toDataset, type DataInput } from '../data/dataset.js';
import { throwIfAborted } from '../util/errors.js';
import { accumulateCalls } from '../kernels/accumulate.js';
import { labelDistanceCalls } from '../kernels/labelDistances.js';
import { loadMatrix, shardRanges } from '../kernels/layout.js';
import { executorFor } from '../parallel/defaultExecutor.js';
import type { Labels } from './checkLabels.js';
import { internalLabels } from './internalLabels.js';

export interface MetricOptions {
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

export async function clusterStats(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<ClusterStats> {
  const ds = toDataset(data);
  const enc = internalLabels(labels, ds.n);
  const k = enc.values.length, d = ds.d;
  const ex = executorFor(options.threads);
  const { heap } = ex;
  const m = await loadMatrix(ex, ds, { offset: new Float64Array(d), signal: options.signal });
  const nS = shardRanges(ds.n).length;
  const lab = heap.alloc(4 * m.stride), cent = heap.alloc(8 * k * d), parts = heap.alloc(8 * (k * d + k) * nS + 64);
  try {
    heap.i32(lab, ds.n).set(enc.index);
    heap.f64(parts, (k * d + k) * nS).fill(0);
    await ex.run(accumulateCalls(m, lab, k, parts), options.signal);
    const p = heap.f64(parts, (k * d + k) * nS);
    const sums = new Float64Array(k * d), counts = new Float64Array(k);
    for (let s = 0; s < nS; s++) {
      const o = s * (k * d + k);
      for (let q = 0; q < k * d; q++) sums[q] += p[o + q];
      for (let t = 0; t < k; t++) counts[t] += p[o + k * d + t];
    }
    const centroids = new Float64Array(k * d), mean = new Float64Array(d);
    for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) {
      centroids[t * d + j] = sums[t * d + j] / counts[t];
      mean[j] += sums[t * d + j] / ds.n;
    }
    throwIfAborted(options.signal);
    heap.f64(cent, k * d).set(centroids);
    heap.f64(parts, 2 * k * nS).fill(0);
    await ex.run(labelDistanceCalls(m, cent, k, lab, parts), options.signal);
    const q = heap.f64(parts, 2 * k * nS);
    const sumSq = new Float64Array(k), sumDist = new Float64Array(k);
    for (let s = 0; s < nS; s++) for (let t = 0; t < k; t++) {
      sumSq[t] += q[s * 2 * k + t];
      sumDist[t] += q[s * 2 * k + k + t];
    }
    return { n: ds.n, d, k, centroids, mean, counts, sumSq, sumDist };
  } finally {
    for (const ptr of [parts, cent, lab]) heap.release(ptr);
    m.release();
  }
}
