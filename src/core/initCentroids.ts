import { SegkitError } from '../util/errors.js';
import type { Executor } from '../parallel/executor.js';
import { candidatePotentialCalls, updateClosestCalls } from '../kernels/seedDistances.js';
import { heapRow, shardRanges, type HeapMatrix } from '../kernels/layout.js';
import type { Random } from '../util/random.js';

// Picks the first row whose running weighted potential reaches r (numpy's searchsorted on a cumsum, side='left').
function pickRow(m: HeapMatrix, closestPtr: number, shardPots: number[], r: number): number {
  const shards = shardRanges(m.n);
  let s = 0, acc = 0;
  while (s < shards.length - 1 && acc + shardPots[s] < r) acc += shardPots[s++];
  const [r0, r1] = shards[s];
  const closest = m.heap.f32(closestPtr + 4 * r0, r1 - r0);
  const w = m.weights ? m.heap.f32(m.weights + 4 * r0, r1 - r0) : undefined;
  for (let i = 0; i < closest.length; i++) {
    acc += w ? w[i] * closest[i] : closest[i];
    if (acc >= r) return r0 + i;
  }
  return r1 - 1;
}

function weightedRow(m: HeapMatrix, rng: Random): number {
  if (!m.weights) return rng.int(m.n);
  const w = m.heap.f32(m.weights, m.n);
  const r = rng.next() * m.totalWeight;
  let acc = 0;
  for (let i = 0; i < m.n; i++) {
    acc += w[i];
    if (acc > r) return i;
  }
  return m.n - 1;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007; scikit-learn's `_kmeans_plusplus`): each new centre is the best
 * of 2 + floor(ln k) candidates drawn with probability proportional to w * D(x)^2. Returns k x d centres (offset space).
 */
export async function kmeansPlusPlus(ex: Executor, m: HeapMatrix, k: number, rng: Random, signal?: AbortSignal): Promise<Float64Array> {
  const { heap } = ex;
  const d = m.d;
  const trials = 2 + Math.floor(Math.log(k));
  const nShards = shardRanges(m.n).length;
  const centers = new Float64Array(k * d);
  const closest = heap.alloc(4 * m.stride);
  const cand = heap.alloc(4 * trials * d);
  const one = heap.alloc(4 * d);
  const partials = heap.alloc(8 * trials * nShards);
  try {
    const row = new Float64Array(d);
    const first = weightedRow(m, rng);
    centers.set(heapRow(m, first, row), 0);
    heap.f32(one, d).set(row);
    let pots = await ex.run(updateClosestCalls(m, one, closest, true), signal);
    for (let c = 1; c < k; c++) {
      const pot = pots.reduce((a, b) => a + b, 0);
      if (!(pot > 0)) throw new SegkitError('E_TOO_FEW_DISTINCT', `k-means++ found only ${c} distinct points for k = ${k}`);
      const ids: number[] = [];
      const candView = heap.f32(cand, trials * d);
      for (let t = 0; t < trials; t++) {
        const id = pickRow(m, closest, pots, rng.next() * pot);
        ids.push(id);
        candView.set(heapRow(m, id, row), t * d);
      }
      heap.f64(partials, trials * nShards).fill(0);
      await ex.run(candidatePotentialCalls(m, cand, trials, closest, partials), signal);
      const parts = heap.f64(partials, trials * nShards);
      let best = 0, bestPot = Infinity;
      for (let t = 0; t < trials; t++) {
        let s = 0;
        for (let sh = 0; sh < nShards; sh++) s += parts[sh * trials + t];
        if (s < bestPot) { bestPot = s; best = t; }
      }
      centers.set(heapRow(m, ids[best], row), c * d);
      heap.f32(one, d).set(row);
      pots = await ex.run(updateClosestCalls(m, one, closest, false), signal);
    }
    return centers;
  } finally {
    heap.release(partials);
    heap.release(one);
    heap.release(cand);
    heap.release(closest);
  }
}

/** k distinct rows drawn without replacement (weighted by sample weight when given), as scikit-learn's 'random'. */
export function randomInit(m: HeapMatrix, k: number, rng: Random): Float64Array {
  const chosen = new Set<number>();
  const centers = new Float64Array(k * m.d);
  const row = new Float64Array(m.d);
  const w = m.weights ? m.heap.f32(m.weights, m.n) : undefined;
  let remaining = m.totalWeight;
  for (let c = 0; c < k; c++) {
    let id: number;
    if (!w) {
      do id = rng.int(m.n); while (chosen.has(id));
    } else {
      let r = rng.next() * remaining;
      id = -1;
      for (let i = 0; i < m.n; i++) {
        if (chosen.has(i) || w[i] === 0) continue;
        id = i;
        r -= w[i];
        if (r < 0) break;
      }
      remaining -= w[id];
    }
    chosen.add(id);
    centers.set(heapRow(m, id, row), c * m.d);
  }
  return centers;
}
