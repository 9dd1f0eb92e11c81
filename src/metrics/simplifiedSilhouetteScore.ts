import type { DataInput } from '../data/dataset.js';
import { toDataset } from '../data/dataset.js';
import { distanceCalls } from '../kernels/distances.js';
import { loadMatrix, writeCentroids } from '../kernels/layout.js';
import { executorFor } from '../parallel/defaultExecutor.js';
import type { Labels } from './checkLabels.js';
import { clusterStats, type MetricOptions } from './clusterStats.js';
import { internalLabels } from './internalLabels.js';

/**
 * The simplified (centroid) silhouette, O(n k): a = distance to the own centroid, b = to the nearest other
 * centroid (Hruschka et al. 2004). A quick look; it is not the exact silhouette.
 */
export async function simplifiedSilhouetteScore(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<number> {
  const ds = toDataset(data);
  const enc = internalLabels(labels, ds.n);
  const stats = await clusterStats(ds, labels, options);
  const { k, d } = stats;
  const ex = executorFor(options.threads);
  const { heap } = ex;
  const m = await loadMatrix(ex, ds, { offset: new Float64Array(d), signal: options.signal });
  const cent = heap.alloc(4 * k * d), out = heap.alloc(4 * m.stride * k);
  try {
    writeCentroids(heap, cent, 0, stats.centroids, k, d);
    await ex.run(distanceCalls(m, cent, k, false, out), options.signal);
    const dist = heap.f32(out, ds.n * k);
    let sum = 0;
    for (let i = 0; i < ds.n; i++) {
      const c = enc.index[i];
      const a = dist[i * k + c];
      let b = Infinity;
      for (let o = 0; o < k; o++) if (o !== c) b = Math.min(b, dist[i * k + o]);
      const denom = Math.max(a, b);
      sum += denom > 0 ? (b - a) / denom : 0;
    }
    return sum / ds.n;
  } finally {
    heap.release(out);
    heap.release(cent);
    m.release();
  }
}
