import type { DataInput } from '../data/dataset.js';
import { sumNumbers } from '../engine/merge.js';
import type { Labels } from './checkLabels.js';
import { matrixClusterStats, withLabels, type MetricOptions } from './clusterStats.js';
import { simplifiedSilhouetteOp } from './metricOps.js';

/**
 * The simplified (centroid) silhouette, O(n k): a = distance to the own centroid, b = to the nearest other
 * centroid (Hruschka et al. 2004). A quick look; it is not the exact silhouette. Rows of single-row clusters
 * score 0, as in the exact silhouette.
 */
export function simplifiedSilhouetteScore(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<number> {
  return withLabels(data, labels, options, 'simplifiedSilhouetteScore', async (m, k, signal) => {
    const stats = await matrixClusterStats(m, k, signal);
    const cent = Float32Array.from(stats.loadedCentres);
    return sumNumbers(await m.ex.map(simplifiedSilhouetteOp, m.handle, { cent, k, counts: stats.counts }, { signal })) / m.n;
  });
}
