import type { DataInput } from '../data/dataset.js';
import type { Labels } from './checkLabels.js';
import { matrixClusterStats, withLabels, type MetricOptions, type ClusterStats } from './clusterStats.js';

export function calinskiHarabaszFromStats(s: ClusterStats): number {
  let extra = 0, intra = 0;
  for (let t = 0; t < s.k; t++) {
    let dd = 0;
    for (let j = 0; j < s.d; j++) dd += (s.centroids[t * s.d + j] - s.mean[j]) ** 2;
    extra += s.counts[t] * dd;
    intra += s.sumSq[t];
  }
  return intra === 0 ? 1 : (extra * (s.n - s.k)) / (intra * (s.k - 1));
}

/** Calinski-Harabasz score (variance ratio criterion), as scikit-learn's `calinski_harabasz_score`; higher is better. */
export async function calinskiHarabaszScore(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<number> {
  return calinskiHarabaszFromStats(await withLabels(data, labels, options, 'calinskiHarabaszScore', matrixClusterStats));
}
