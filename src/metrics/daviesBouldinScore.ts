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
  // The centroids are means of float32 rows centred on the overall mean, each row rounded by up to 2^-24 of its
  // |x - mean|, so a centroid is off by up to 2^-24 sqrt(d) times the mean |x - mean| of its rows, at most
  // |centroid - mean| + intra: two centroids closer than their errors (with slack) are one point, as scikit-learn's
  // float64 means find two clusters with the same mean.
  const reach = Array.from({ length: s.k }, (_, t) => {
    let dd = 0;
    for (let j = 0; j < s.d; j++) dd += (s.centroids[t * s.d + j] - s.mean[j]) ** 2;
    return Math.sqrt(dd) + intra[t];
  });
  const slack = 2 ** -21 * Math.sqrt(s.d);
  let total = 0;
  for (let a = 0; a < s.k; a++) {
    let worst = -Infinity;
    for (let b = 0; b < s.k; b++) {
      if (a === b) continue;
      let dist = sep(a, b);
      if (dist <= slack * (reach[a] + reach[b])) dist = 0;
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
