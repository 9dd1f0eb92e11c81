// The shard ops behind the internal metrics: per-cluster sums, distances to the own centre, the simplified
// silhouette, and the exact silhouette's per-cluster distance sums (on a replicated, cluster-grouped handle).
import { accumulateShard } from '../kernels/accumulate.js';
import { distancesShard } from '../kernels/distances.js';
import { labelDistancesShard } from '../kernels/labelDistances.js';
import { rowValues } from '../kernels/shard.js';
import { silhouetteSumsShard } from '../kernels/silhouetteSums.js';
import { defineOp } from '../engine/shardOp.js';

/** Per-cluster weighted sums and weights of the shard's rows by their `labels`: k*d then k, float64. */
export const accumulateOp = defineOp<{ k: number }, Float64Array>({
  name: 'metrics.accumulate',
  scratchBytes: (s, d) => 8 * (s.k * d + s.k),
  run: (sh, s) => accumulateShard(sh, 'labels', s.k),
}, import.meta.url);

/** Per cluster, sums of squared and of plain distances to the own centre (float64 k x d): 2k float64. */
export const labelDistancesOp = defineOp<{ centres: Float64Array; k: number }, Float64Array>({
  name: 'metrics.labelDistances',
  scratchBytes: (s) => 16 * s.k,
  run: (sh, s) => labelDistancesShard(sh, s.centres, s.k, 'labels'),
}, import.meta.url);

/** The shard's sum of simplified silhouettes: a = distance to the own centre, b = to the nearest other one. */
export const simplifiedSilhouetteOp = defineOp<{ cent: Float32Array; k: number }, number>({
  name: 'metrics.simplifiedSilhouette',
  rows: (s) => ({ distances: { type: 'f32', width: s.k } }),
  run(sh, s) {
    distancesShard(sh, s.cent, s.k, false, 'distances');
    const dist = rowValues(sh, 'distances', 'f32'), labels = rowValues(sh, 'labels', 'i32');
    const k = s.k;
    let sum = 0;
    for (let i = 0; i < sh.rows; i++) {
      const c = labels[i];
      const a = dist[i * k + c];
      let b = Infinity;
      for (let o = 0; o < k; o++) if (o !== c) b = Math.min(b, dist[i * k + o]);
      const denom = Math.max(a, b);
      sum += denom > 0 ? (b - a) / denom : 0;
    }
    return sum;
  },
}, import.meta.url);

/** For each row of the shard, its distance sums to every cluster segment of the whole grouped matrix: rows x k. */
export const silhouetteSumsOp = defineOp<{ seg: Int32Array; k: number }, Float64Array>({
  name: 'metrics.silhouetteSums',
  scratchBytes: (s, _d, rows) => 8 * rows * s.k + 8 * s.k,
  run: (sh, s) => silhouetteSumsShard(sh, s.seg, s.k),
}, import.meta.url);
