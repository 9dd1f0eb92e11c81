// The shard ops behind the internal metrics: per-cluster sums, distances to the own centre, the simplified
// silhouette, and the exact silhouette's per-cluster distance sums in pairs of blocks (on a replicated, cluster-grouped
// handle).
import { accumulateShard } from '../kernels/accumulate.js';
import { distancesShard } from '../kernels/distances.js';
import { labelDistancesShard } from '../kernels/labelDistances.js';
import { rowValues } from '../kernels/shard.js';
import { silhouettePairsScratch, silhouettePairsShard, type SilhouettePairsArgs } from '../kernels/silhouetteSums.js';
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

/**
 * The shard's sum of simplified silhouettes: a = distance to the own centre, b = to the nearest other one; a row
 * alone in its cluster scores 0 (Rousseeuw's convention, as the exact silhouette), not the 1 its a = 0 would give.
 */
export const simplifiedSilhouetteOp = defineOp<{ cent: Float32Array; k: number; counts: ArrayLike<number> }, number>({
  name: 'metrics.simplifiedSilhouette',
  rows: (s) => ({ distances: { type: 'f32', width: s.k } }),
  run(sh, s) {
    distancesShard(sh, s.cent, s.k, false, 'distances');
    const dist = rowValues(sh, 'distances', 'f32'), labels = rowValues(sh, 'labels', 'i32');
    const k = s.k;
    let sum = 0;
    for (let i = 0; i < sh.rows; i++) {
      const c = labels[i];
      if (s.counts[c] < 2) continue;
      const a = dist[i * k + c];
      let b = Infinity;
      for (let o = 0; o < k; o++) if (o !== c) b = Math.min(b, dist[i * k + o]);
      const denom = Math.max(a, b);
      sum += denom > 0 ? (b - a) / denom : 0;
    }
    return sum;
  },
}, import.meta.url);

/**
 * One wave of the exact silhouette's pairs of blocks (each shard a block of the cluster-grouped, replicated matrix):
 * the shard's rows' distance sums over its partners' clusters, then each partner's rows' sums over the shard's.
 */
export const silhouettePairsOp = defineOp<SilhouettePairsArgs, Float64Array>({
  name: 'metrics.silhouettePairs',
  extraKernels: true,
  scratchBytes: (s, _d, rows) => silhouettePairsScratch(s, rows),
  run: (sh, s) => silhouettePairsShard(sh, s),
}, import.meta.url);
