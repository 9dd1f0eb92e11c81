import { SegkitError } from '../util/errors.js';
import type { Random } from '../util/random.js';
import { CENTRED_FLOAT32, CENTRED_HINT, fetchRows, type Matrix } from '../engine/matrix.js';
import { sumNumbers } from '../engine/merge.js';
import { candidatesOp, pickOp, takeClosestOp, TRIAL_DISTANCES, updateClosestOp } from './kmeansOps.js';

function weightedRow(m: Matrix, rng: Random): number {
  if (!m.weights) return rng.int(m.n);
  const w = m.weights;
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
 * of 2 + floor(ln k) candidates drawn with probability proportional to w * D(x)^2. Returns k x d centres in the
 * matrix's stored coordinates. Four shard ops per centre: pick, fetch, candidate potentials, and the closest update
 * from the chosen candidate. With more features than candidates, the candidates' distances are kept per row and the
 * update reads the chosen one's instead of the rows (the same bits); the executors that can let them go afterwards.
 */
export async function kmeansPlusPlus(m: Matrix, k: number, rng: Random, signal?: AbortSignal): Promise<Float64Array> {
  const { ex, handle, d } = m;
  const trials = 2 + Math.floor(Math.log(k));
  // keeping costs a float32 a candidate a row, written once; measuring again costs the d values of every row
  const keep = d > trials;
  const centers = new Float64Array(k * d);
  const first = await fetchRows(m, [weightedRow(m, rng)], signal);
  centers.set(first, 0);
  let pots = await ex.map(updateClosestOp, handle, { centre: Float32Array.from(first), first: true }, { signal });
  try {
    for (let c = 1; c < k; c++) {
      const pot = sumNumbers(pots);
      if (!(pot > 0)) {
        throw new SegkitError('E_TOO_FEW_DISTINCT', `k-means++ found only ${c} distinct points for k = ${k} once the columns are centred: ${CENTRED_FLOAT32}`,
          `the data has more distinct points only below that resolution: lower k; or ${CENTRED_HINT}`);
      }
      // each draw finds its shard here from the shards' potentials, then its row inside that shard
      const shardsOf = new Int32Array(trials), starts = new Float64Array(trials), targets = new Float64Array(trials);
      for (let t = 0; t < trials; t++) {
        const r = rng.next() * pot;
        let s = 0, acc = 0;
        while (s < pots.length - 1 && acc + pots[s] < r) acc += pots[s++];
        shardsOf[t] = s; starts[t] = acc; targets[t] = r;
      }
      const used = [...new Set(shardsOf)].sort((a, b) => a - b);
      const picked = await ex.map(pickOp, handle, { shardsOf, starts, targets }, { shards: used, signal });
      const cursor = new Map(used.map((s, q) => [s, { rows: picked[q], next: 0 }]));
      const ids = Array.from(shardsOf, (s) => { const p = cursor.get(s)!; return p.rows[p.next++]; });
      const cand = await fetchRows(m, ids, signal);
      const parts = await ex.map(candidatesOp, handle, { cand: Float32Array.from(cand), m: trials, keep }, { signal });
      let best = 0, bestPot = Infinity;
      for (let t = 0; t < trials; t++) {
        let s = 0;
        for (const p of parts) s += p[t];
        if (s < bestPot) { bestPot = s; best = t; }
      }
      const centre = cand.subarray(best * d, (best + 1) * d);
      centers.set(centre, c * d);
      pots = keep
        ? await ex.map(takeClosestOp, handle, { trial: best, m: trials }, { signal })
        : await ex.map(updateClosestOp, handle, { centre: Float32Array.from(centre), first: false }, { signal });
    }
  } finally {
    // memory only; it fails only when the data itself is gone (released, or the executor closed)
    if (keep && ex.dropRows) await ex.dropRows(handle, TRIAL_DISTANCES).catch(() => undefined);
  }
  return centers;
}

/** k distinct rows drawn without replacement (weighted by sample weight when given), as scikit-learn's 'random'. */
export async function randomInit(m: Matrix, k: number, rng: Random, signal?: AbortSignal): Promise<Float64Array> {
  const chosen = new Set<number>();
  const ids: number[] = [];
  const w = m.weights;
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
    ids.push(id);
  }
  return fetchRows(m, ids, signal);
}
