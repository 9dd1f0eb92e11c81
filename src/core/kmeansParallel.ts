import { throwIfAborted } from '../util/errors.js';
import type { Random } from '../util/random.js';
import { fetchRows, type Matrix } from '../engine/matrix.js';
import { sumInShardOrder, sumNumbers } from '../engine/merge.js';
import { centresF32 } from '../kernels/shard.js';
import { kmeansPlusPlus } from './initCentroids.js';
import { candidatesUpdateOp, firstCentreOp, ownerCountsOp } from './kmeansParallelOps.js';

/** Spark MLlib's defaults: initializationSteps 2, oversampling 2k, 30 Lloyd iterations on the weighted candidates. */
export const KMEANS_PARALLEL = Object.freeze({ rounds: 2, oversampling: 2, localIterations: 30 });

function firstRow(m: Matrix, rng: Random): number {
  if (!m.weights) return rng.int(m.n);
  const r = rng.next() * m.totalWeight;
  let acc = 0;
  for (let i = 0; i < m.n; i++) {
    acc += m.weights[i];
    if (acc > r) return i;
  }
  return m.n - 1;
}

const sq = (a: Float64Array, i: number, b: Float64Array, j: number, d: number): number => {
  let s = 0;
  for (let t = 0; t < d; t++) s += (a[i * d + t] - b[j * d + t]) ** 2;
  return s;
};

/**
 * Weighted greedy k-means++ on the candidates (each centre the best of 2 + ln k draws, as scikit-learn's), then
 * Lloyd's iterations on them (Spark's `LocalKMeans.kMeansPlusPlus`, which draws once per centre). An emptied centre
 * takes the candidate farthest from its own centre (Spark draws one at random), so the k centres stay distinct.
 * O((trials + iterations) * candidates * k * d), on the caller.
 */
export function localKMeans(points: Float64Array, weights: Float64Array, d: number, k: number, rng: Random, maxIter: number): Float64Array {
  const n = weights.length;
  const centres = new Float64Array(k * d);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i];
  let r = rng.next() * total, first = n - 1;
  for (let i = 0; i < n; i++) {
    r -= weights[i];
    if (r < 0) { first = i; break; }
  }
  centres.set(points.subarray(first * d, (first + 1) * d), 0);
  const cost = Float64Array.from({ length: n }, (_, i) => sq(points, i, centres, 0, d));
  const trials = 2 + Math.floor(Math.log(k));
  const trial = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i] * cost[i];
    let best = -1, bestPot = Infinity;
    for (let t = 0; t < trials; t++) {
      const target = rng.next() * sum;
      let acc = 0, j = 0;
      while (j < n && acc < target) {
        acc += weights[j] * cost[j];
        j++;
      }
      const pick = Math.max(0, j - 1);
      let pot = 0;
      for (let i = 0; i < n; i++) {
        trial[i] = Math.min(cost[i], sq(points, i, points, pick, d));
        pot += weights[i] * trial[i];
      }
      if (pot < bestPot) { bestPot = pot; best = pick; }
    }
    centres.set(points.subarray(best * d, (best + 1) * d), c * d);
    for (let i = 0; i < n; i++) cost[i] = Math.min(cost[i], sq(points, i, centres, c, d));
  }
  const owner = new Int32Array(n).fill(-1);
  for (let it = 0; it < maxIter; it++) {
    let moved = false;
    const sums = new Float64Array(k * d), counts = new Float64Array(k), dist = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0, bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const v = sq(points, i, centres, c, d);
        if (v < bestD) { bestD = v; best = c; }
      }
      dist[i] = bestD;
      if (owner[i] !== best) { owner[i] = best; moved = true; }
      counts[best] += weights[i];
      for (let t = 0; t < d; t++) sums[best * d + t] += weights[i] * points[i * d + t];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let t = 0; t < d; t++) centres[c * d + t] = sums[c * d + t] / counts[c];
        continue;
      }
      let far = -1;
      for (let i = 0; i < n; i++) if (far < 0 || dist[i] > dist[far]) far = i;
      centres.set(points.subarray(far * d, (far + 1) * d), c * d);
      dist[far] = 0;
      moved = true;
    }
    if (!moved) break;
  }
  return centres;
}

/**
 * k-means|| (Bahmani, Moseley, Vattani, Kumar & Vassilvitskii 2012) with Spark MLlib's defaults: a first row, then
 * 2 rounds that each draw about 2k rows with probability proportional to w D(x)^2 (every draw from the row's own index,
 * so the candidates do not depend on the executor), candidates weighted by the rows nearest them, and a weighted
 * greedy k-means++ with Lloyd on the candidates. Three passes over the data (each also pre-selects the next round's rows,
 * and the last counts the rows each candidate owns), against k-means++'s one per centre (two with no more features
 * than candidates).
 * Returns k x d centres in the matrix's stored coordinates; falls back to k-means++ when fewer than k distinct
 * candidates carry weight.
 */
export async function kmeansParallel(m: Matrix, k: number, rng: Random, signal?: AbortSignal): Promise<Float64Array> {
  const { ex, handle, d } = m;
  const seed = Math.floor(rng.next() * 0x7fffffff);
  const l = KMEANS_PARALLEL.oversampling * k;
  const rounds = KMEANS_PARALLEL.rounds;
  const first = await fetchRows(m, [firstRow(m, rng)], signal);
  const chunks: Float64Array[] = [first];
  let total = 1;
  let parts = await ex.map(firstCentreOp, handle, { centre: Float32Array.from(first), round: 0, seed, l, total, count: false }, { signal });
  for (let round = 0; round < rounds; round++) {
    throwIfAborted(signal);
    const phi = sumNumbers(parts.map((p) => p.pot));
    if (!(phi > 0)) break;
    // the rows each shard pre-selected, kept when their uniform is below l w closest / phi, in row order
    const drawn: number[] = [];
    for (const p of parts) {
      const picks = p.picks!;
      for (let at = 0; at < picks.length; at += 3 + d) if (picks[at + 1] < (l * picks[at + 2]) / phi) drawn.push(at, parts.indexOf(p));
    }
    const rows = drawn.length / 2;
    if (rows === 0) continue;
    const cand = new Float64Array(rows * d);
    for (let q = 0; q < rows; q++) cand.set(parts[drawn[2 * q + 1]].picks!.subarray(drawn[2 * q] + 3, drawn[2 * q] + 3 + d), q * d);
    const { cent, norms } = centresF32(cand, rows, d);
    const next = round + 1 < rounds ? round + 1 : -1;
    parts = await ex.map(candidatesUpdateOp, handle, { cent, norms, m: rows, base: total, round: next, seed, l, total: total + rows, count: next < 0 }, { signal });
    chunks.push(cand);
    total += rows;
  }
  // the weight each candidate owns: counted by the last round's pass, or by a pass of its own when a round drew no row
  // or the potential ran out first
  const counts = parts.every((p) => p.counts)
    ? sumInShardOrder(parts.map((p) => p.counts!))
    : sumInShardOrder(await ex.map(ownerCountsOp, handle, { total }, { signal }));
  // distinct candidates (by value), their weights merged
  const all = new Float64Array(total * d);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  const seen = new Map<string, number>();
  const keep: number[] = [], weight: number[] = [];
  for (let i = 0; i < total; i++) {
    const key = Array.from(all.subarray(i * d, (i + 1) * d)).join(',');
    const had = seen.get(key);
    if (had === undefined) { seen.set(key, keep.length); keep.push(i); weight.push(counts[i]); } else weight[had] += counts[i];
  }
  if (weight.filter((w) => w > 0).length < k) return kmeansPlusPlus(m, k, rng, signal);
  const points = new Float64Array(keep.length * d);
  keep.forEach((i, q) => points.set(all.subarray(i * d, (i + 1) * d), q * d));
  return localKMeans(points, Float64Array.from(weight), d, k, rng, KMEANS_PARALLEL.localIterations);
}
