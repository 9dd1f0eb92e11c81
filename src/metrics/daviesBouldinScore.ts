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
  // The centroids are means of float32 rows centred on the overall mean, each value rounded by up to 2^-24 of its
  // |x - mean|, so a centroid is off by at most 2^-24 times the mean |x - mean| of its rows (a vector norm: no factor
  // of d), at most |centroid - mean| + intra; doubled for the float64 sums and the offset added back. Two centroids
  // closer than their errors are one point, as scikit-learn's float64 means find two clusters with the same mean; any
  // looser bound takes distinct means of widely spread clusters (0 and 0.5 among values near 1e6) for one point.
  const reach = Array.from({ length: s.k }, (_, t) => {
    let dd = 0, cc = 0;
    for (let j = 0; j < s.d; j++) {
      dd += (s.centroids[t * s.d + j] - s.mean[j]) ** 2;
      cc += s.centroids[t * s.d + j] ** 2 + s.mean[j] ** 2;
    }
    return Math.sqrt(dd) + intra[t] + 2 ** -24 * Math.sqrt(cc);
  });
  const slack = 2 ** -23;
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
