import type { DataInput } from '../data/dataset.js';
import type { Labels } from './checkLabels.js';
import { matrixClusterStats, withLabels, type MetricOptions, type ClusterStats } from './clusterStats.js';

export function daviesBouldinFromStats(s: ClusterStats): number {
  const intra = Array.from({ length: s.k }, (_, t) => s.sumDist[t] / s.counts[t]);
  let allIntraZero = true, allSepZero = true;
  const sep = (a: number, b: number) => {
    let dd = 0;
    for (let j = 0; j < s.d; j++) dd += (s.centroids[a * s.d + j] - s.centroids[b * s.d + j]) ** 2;
    return Math.sqrt(dd);
  };
  for (let t = 0; t < s.k; t++) if (intra[t] !== 0) allIntraZero = false;
  let total = 0;
  for (let a = 0; a < s.k; a++) {
    let worst = -Infinity;
    for (let b = 0; b < s.k; b++) {
      if (a === b) continue;
      const dist = sep(a, b);
      if (dist !== 0) allSepZero = false;
      worst = Math.max(worst, (intra[a] + intra[b]) / (dist === 0 ? Infinity : dist));
    }
    total += worst;
  }
  return allIntraZero || allSepZero ? 0 : total / s.k;
}

/** Davies-Bouldin score, as scikit-learn's `davies_bouldin_score`; lower is better, 0 is the minimum. */
export async function daviesBouldinScore(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<number> {
  return daviesBouldinFromStats(await withLabels(data, labels, options, 'daviesBouldinScore', matrixClusterStats));
}
