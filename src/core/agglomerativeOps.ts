// The shard ops of agglomerative clustering. Each builds the whole hierarchy on one holder of a replicated float64
// handle (the nearest-neighbour chain and Prim's algorithm are sequential): Ward and single linkage from the
// vectors in O(n d) memory (wasm kernels), complete and average linkage on the condensed distance matrix, O(n^2)
// memory, as SciPy does. Each returns (a, b, height) per merge in the algorithm's order.
import { allColumn } from '../kernels/shard.js';
import { primSingleBytes, primSingleShard } from '../kernels/primSingle.js';
import { wardChainBytes, wardChainShard } from '../kernels/wardChain.js';
import { defineOp } from '../engine/shardOp.js';

export interface LinkageState {
  readonly n: number;
}

/** Ward: slot pairs and squared Ward distances (Müllner's nearest-neighbour chain over centroids). */
export const wardChainOp = defineOp<LinkageState, Float64Array>({
  name: 'agglomerative.ward',
  extraKernels: true,
  scratchBytes: (s, d) => wardChainBytes(s.n, d),
  run: (sh) => wardChainShard(sh),
}, import.meta.url);

/** Single: Prim's chain (previous point, new point, distance). */
export const primSingleOp = defineOp<LinkageState, Float64Array>({
  name: 'agglomerative.single',
  extraKernels: true,
  scratchBytes: (s, d) => primSingleBytes(s.n, d),
  run: (sh) => primSingleShard(sh),
}, import.meta.url);

/** Index of pair (i, j), i < j, in the condensed distance matrix of n points. */
const condensed = (n: number, i: number, j: number): number => n * i - (i * (i + 1)) / 2 + (j - i - 1);

/**
 * Complete or average linkage: SciPy's nn_chain on the condensed matrix of float64 euclidean distances, with its
 * Lance-Williams updates (max; size-weighted mean) and its tie rules, so merges match SciPy's.
 */
export const matrixChainOp = defineOp<LinkageState & { method: 'complete' | 'average' }, Float64Array>({
  name: 'agglomerative.matrix',
  run(sh, s) {
    const n = s.n, d = sh.d;
    const x = Array.from({ length: d }, (_, j) => allColumn(sh, j) as Float64Array);
    const D = new Float64Array((n * (n - 1)) / 2);
    let at = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let acc = 0;
        for (let f = 0; f < d; f++) { const t = x[f][i] - x[f][j]; acc += t * t; }
        D[at++] = Math.sqrt(acc);
      }
    }
    const size = new Float64Array(n).fill(1);
    const chain = new Int32Array(n);
    const out = new Float64Array(3 * (n - 1));
    const average = s.method === 'average';
    const dist = (a: number, b: number): number => (a < b ? D[condensed(n, a, b)] : D[condensed(n, b, a)]);
    let len = 0;
    for (let k = 0; k < n - 1; k++) {
      if (len === 0) {
        for (let i = 0; i < n; i++) if (size[i] > 0) { chain[0] = i; break; }
        len = 1;
      }
      let x0 = 0, y0 = 0, best = 0;
      for (;;) {
        x0 = chain[len - 1];
        if (len > 1) { y0 = chain[len - 2]; best = dist(x0, y0); } else best = Infinity;
        for (let i = 0; i < n; i++) {
          if (size[i] === 0 || i === x0) continue;
          const v = dist(x0, i);
          if (v < best) { best = v; y0 = i; }
        }
        if (len > 1 && y0 === chain[len - 2]) break;
        chain[len++] = y0;
      }
      len -= 2;
      if (x0 > y0) { const t = x0; x0 = y0; y0 = t; }
      const nx = size[x0], ny = size[y0];
      out[3 * k] = x0;
      out[3 * k + 1] = y0;
      out[3 * k + 2] = best;
      size[x0] = 0;
      size[y0] = nx + ny;
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || i === y0) continue;
        const dxi = dist(i, x0), dyi = dist(i, y0);
        const v = average ? (nx * dxi + ny * dyi) / (nx + ny) : Math.max(dxi, dyi);
        if (i < y0) D[condensed(n, i, y0)] = v;
        else D[condensed(n, y0, i)] = v;
      }
    }
    return out;
  },
}, import.meta.url);
