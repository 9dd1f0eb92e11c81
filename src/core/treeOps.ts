// The shard ops of histogram CART: sampling values for the bin edges, binning rows, growing trees level by level
// (per-node class histograms per feature bin as partials; the row-to-node assignment stays with each shard), and
// predicting. Bins are one byte per feature, packed four to an int32 in the per-row buffer `bins`.
import { rowValues, shardColumn } from '../kernels/shard.js';
import { defineOp, type RowSpec } from '../engine/shardOp.js';
import { hashInts, poisson1 } from '../util/hash.js';

/**
 * Rows per shard for trees: a fixed function of n (so results never depend on the executor), small enough that
 * a pass has several shards to spread over threads, large enough that per-shard histograms stay few.
 */
export function treeShardRows(n: number): number {
  return Math.max(16_384, Math.min(65_536, Math.ceil(n / 16 / 16) * 16));
}

/** Per-row int32 words holding d one-byte bins. */
export const binWords = (d: number): number => Math.ceil(d / 4);

function bytesOf(a: Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Values of the given rows (ascending dataset row numbers; null: every row) in this shard, column after column. */
export const sampleValuesOp = defineOp<{ rows: Int32Array | null }, Float32Array>({
  name: 'tree.sampleValues',
  run(sh, s) {
    let mine: Int32Array;
    if (s.rows === null) mine = Int32Array.from({ length: sh.rows }, (_, i) => i);
    else {
      let lo = 0, hi = s.rows.length;
      // the shard's slice of the sorted list
      while (lo < hi) { const m = (lo + hi) >> 1; if (s.rows[m] < sh.start) lo = m + 1; else hi = m; }
      let end = lo;
      while (end < s.rows.length && s.rows[end] < sh.start + sh.rows) end++;
      mine = s.rows.slice(lo, end).map((r) => r - sh.start);
    }
    const out = new Float32Array(mine.length * sh.d);
    for (let j = 0; j < sh.d; j++) {
      const col = shardColumn(sh, j);
      for (let q = 0; q < mine.length; q++) out[j * mine.length + q] = col[mine[q]];
    }
    return out;
  },
}, import.meta.url);

export interface BinState {
  /** Every feature's edges, padded with +Infinity to 256: feature j's are edges[j * 256 .. j * 256 + 255). */
  edges: Float64Array;
  /** Each feature's value per bin where its bins are its sample's values, laid out as `edges` (NaN elsewhere). */
  values: Float64Array;
}

/**
 * Writes each row's bin per feature: the number of the feature's edges below the value (x <= edge[b] is bin b).
 * Returns per feature 1 when a row's value is not its bin's in `values`, else 0.
 */
export const binOp = defineOp<BinState, Uint8Array>({
  name: 'tree.bin',
  rows: (_s, d) => ({ bins: { type: 'i32', width: binWords(d) } }),
  run(sh, s) {
    const W = 4 * binWords(sh.d);
    const bins = bytesOf(rowValues(sh, 'bins', 'i32'));
    const { edges, values } = s;
    const other = new Uint8Array(sh.d);
    for (let j = 0; j < sh.d; j++) {
      const col = shardColumn(sh, j);
      const e = j * 256;
      for (let i = 0; i < sh.rows; i++) {
        const x = col[i];
        // a binary search over 256 slots (255 edges and a sentinel) without branches: 3x faster on random data
        let b = 0;
        b += 128 * +(edges[e + b + 127] < x);
        b += 64 * +(edges[e + b + 63] < x);
        b += 32 * +(edges[e + b + 31] < x);
        b += 16 * +(edges[e + b + 15] < x);
        b += 8 * +(edges[e + b + 7] < x);
        b += 4 * +(edges[e + b + 3] < x);
        b += 2 * +(edges[e + b + 1] < x);
        b += +(edges[e + b] < x);
        bins[i * W + j] = b;
        if (x !== values[e + b]) other[j] = 1;
      }
    }
    return other;
  },
}, import.meta.url);

/**
 * One level of growth for a batch of trees. Rows hold, per tree, the slot of the node they are in (-1: done).
 * First each row moves through its node's split (slot arrays `sp*`, indexed by the current slot), then it adds
 * its bootstrap weight to the histogram of each feature its new node is scored on (`nf*`, indexed by the new
 * slot), or is sent back whole when its node is small enough to finish on the caller (`coll`).
 */
export interface GrowState {
  trees: number;
  /** Start a new batch: every row enters each tree's root (slot t) with its weight, or is out (-1) at weight 0. */
  reset: boolean;
  bootstrap: boolean;
  /** Also count each bin's distinct rows (`rows` in the partial): bootstrap weights with minSamplesLeaf above 1. */
  countRows: boolean;
  /** Per tree of the batch: its seed, from which row weights are derived (with the row number). */
  treeSeeds: Int32Array;
  classes: number;
  /** Per current slot: split feature (-1: move to spLeft as it is; -2: done), bin threshold, next slots. */
  spFeat: Int32Array | null;
  spBin: Int32Array | null;
  spLeft: Int32Array | null;
  spRight: Int32Array | null;
  /** Per next slot: its histogram features nfFeat[nfStart[g] .. nfStart[g + 1]), each at offset nfOff[...]. */
  nfStart: Int32Array;
  nfFeat: Int32Array;
  nfOff: Int32Array;
  /** Per next slot: the collect id its rows are sent back under, or -1. */
  coll: Int32Array;
  histSize: number;
}

export interface GrowPartial {
  hist: Int32Array;
  /** With `countRows`: the distinct rows per feature bin (hist's layout without the class), for minSamplesLeaf; else empty. */
  rows: Int32Array;
  /** Collected rows, in row order: collect id, class code, weight, and the row's bin words (binWords(d) each). */
  cId: Int32Array;
  cY: Int32Array;
  cW: Int32Array;
  cWords: Int32Array;
}

const growRows = (s: GrowState): Record<string, RowSpec> => ({
  node: { type: 'i32', width: s.trees, fill: -1 },
  wt: { type: 'i32', width: s.trees },
});

export const growOp = defineOp<GrowState, GrowPartial>({
  name: 'tree.grow',
  rows: growRows,
  scratchBytes: () => 0,
  run(sh, s) {
    const T = s.trees, C = s.classes, d = sh.d, R = sh.rows;
    const W = 4 * binWords(d);
    // tree-major within the shard (tree t's rows at [t * R, (t + 1) * R)): a pass visits one tree at a time, so
    // its nodes' histograms stay in cache while its rows stream by
    const node = rowValues(sh, 'node', 'i32');
    const wt = rowValues(sh, 'wt', 'i32');
    const y = rowValues(sh, 'y', 'i32');
    const bins = bytesOf(rowValues(sh, 'bins', 'i32'));
    if (s.reset) {
      for (let t = 0; t < T; t++) {
        const seed = s.treeSeeds[t], base = t * R;
        for (let i = 0; i < R; i++) {
          const w = s.bootstrap ? poisson1(hashInts(seed, sh.start + i)) : 1;
          wt[base + i] = w;
          node[base + i] = w > 0 ? t : -1;
        }
      }
    }
    const hist = new Int32Array(s.histSize);
    const rows = new Int32Array(s.countRows ? s.histSize / C : 0);
    const { spFeat, spBin, spLeft, spRight, nfStart, nfFeat, nfOff, coll } = s;
    // each node-feature's offset into the row counts (its histogram's, per class): null when rows are not counted
    const rowOff = s.countRows ? Int32Array.from(nfOff, (o) => o / C) : null;
    // collected rows: (collect id, shard row, weight) triples, grown by doubling
    let coll3 = new Int32Array(0), nc = 0;
    for (let t = 0; t < T; t++) {
      const base = t * R;
      for (let i = 0; i < R; i++) {
        const at = base + i;
        let g = node[at];
        if (g < 0) continue;
        const b0 = i * W;
        if (spFeat !== null) {
          const f = spFeat[g];
          if (f >= 0) {
            // without a branch: which side a row takes is as unpredictable as the data
            const l = spLeft![g];
            g = l + +(bins[b0 + f] > spBin![g]) * (spRight![g] - l);
          } else g = f === -1 ? spLeft![g] : -1;
          node[at] = g;
          if (g < 0) continue;
        }
        const w = wt[at], yi = y[i];
        for (let q = nfStart[g], e = nfStart[g + 1]; q < e; q++) hist[nfOff[q] + bins[b0 + nfFeat[q]] * C + yi] += w;
        if (rowOff) for (let q = nfStart[g], e = nfStart[g + 1]; q < e; q++) rows[rowOff[q] + bins[b0 + nfFeat[q]]]++;
        const c = coll[g];
        if (c >= 0) {
          if (3 * nc === coll3.length) {
            const grown = new Int32Array(Math.max(3 * R, 2 * coll3.length));
            grown.set(coll3);
            coll3 = grown;
          }
          coll3[3 * nc] = c; coll3[3 * nc + 1] = i; coll3[3 * nc + 2] = w;
          nc++;
          node[at] = -1;
        }
      }
    }
    const cId = new Int32Array(nc), cY = new Int32Array(nc), cW = new Int32Array(nc);
    const BW = W >> 2, words = rowValues(sh, 'bins', 'i32');
    const cWords = new Int32Array(nc * BW);
    for (let q = 0, o = 0; q < nc; q++) {
      const i = coll3[3 * q + 1];
      cId[q] = coll3[3 * q]; cY[q] = y[i]; cW[q] = coll3[3 * q + 2];
      for (let k = 0, from = i * BW; k < BW; k++) cWords[o++] = words[from + k];
    }
    return { hist, rows, cId, cY, cW, cWords };
  },
}, import.meta.url);

function addLeaf(sums: Float64Array, base: number, proba: Float64Array, p: number, C: number): void {
  for (let c = 0; c < C; c++) sums[base + c] += proba[p + c];
}

/**
 * Trees flattened for prediction: every split's children side by side (right = left + 1), trees back to back; a
 * leaf is its own child with threshold +Infinity.
 */
export interface PredictState {
  feature: Int32Array;
  threshold: Float64Array;
  /** Left child of each split (its right child follows it). */
  child: Int32Array;
  roots: Int32Array;
  /** Per node: offset of its class probabilities in `proba` (leaves only; -1 elsewhere). */
  leafAt: Int32Array;
  proba: Float64Array;
  classes: number;
  /** Also keep each row's summed probabilities (per-row `proba`, width classes). */
  keepProba: boolean;
}

/**
 * Each row's class: the argmax (first on ties) of its leaves' probabilities summed over the trees in tree order;
 * with `keepProba` the sums stay in the per-row buffer `proba`. Tree by tree over the shard's rows, so one tree
 * stays in cache; the sums per row are added in the same order either way.
 */
export const predictOp = defineOp<PredictState, null>({
  name: 'tree.predict',
  rows: (s) => ({ labels: { type: 'i32' }, ...(s.keepProba ? { proba: { type: 'f64', width: s.classes } } : {}) }),
  run(sh, s) {
    const C = s.classes, d = sh.d, R = sh.rows;
    // the shard's rows row-major (a row's values in one or two cache lines), as the walk reads them
    const x = new Float32Array(R * d);
    for (let j = 0; j < d; j++) {
      const col = shardColumn(sh, j);
      for (let i = 0, o = j; i < R; i++, o += d) x[o] = col[i];
    }
    const labels = rowValues(sh, 'labels', 'i32');
    const sums = s.keepProba ? rowValues(sh, 'proba', 'f64') : new Float64Array(R * C);
    sums.fill(0);
    const { feature, threshold, child, roots, leafAt, proba } = s;
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t];
      // eight rows walk the tree together, their loads independent, without a branch per step: a row at a leaf
      // stays there (a leaf is its own child, its threshold +Infinity, its feature read as 0), and the walk ends when
      // all eight are at leaves (the AND of their features is negative only when all are -1)
      let i = 0;
      for (; i + 8 <= R; i += 8) {
        let n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root;
        let f0 = feature[root], f1 = f0, f2 = f0, f3 = f0, f4 = f0, f5 = f0, f6 = f0, f7 = f0;
        const o0 = i * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d, o4 = o3 + d, o5 = o4 + d, o6 = o5 + d, o7 = o6 + d;
        while ((f0 & f1 & f2 & f3 & f4 & f5 & f6 & f7) >= 0) {
          n0 = child[n0] + +(x[o0 + (f0 & ~(f0 >> 31))] > threshold[n0]); f0 = feature[n0];
          n1 = child[n1] + +(x[o1 + (f1 & ~(f1 >> 31))] > threshold[n1]); f1 = feature[n1];
          n2 = child[n2] + +(x[o2 + (f2 & ~(f2 >> 31))] > threshold[n2]); f2 = feature[n2];
          n3 = child[n3] + +(x[o3 + (f3 & ~(f3 >> 31))] > threshold[n3]); f3 = feature[n3];
          n4 = child[n4] + +(x[o4 + (f4 & ~(f4 >> 31))] > threshold[n4]); f4 = feature[n4];
          n5 = child[n5] + +(x[o5 + (f5 & ~(f5 >> 31))] > threshold[n5]); f5 = feature[n5];
          n6 = child[n6] + +(x[o6 + (f6 & ~(f6 >> 31))] > threshold[n6]); f6 = feature[n6];
          n7 = child[n7] + +(x[o7 + (f7 & ~(f7 >> 31))] > threshold[n7]); f7 = feature[n7];
        }
        addLeaf(sums, i * C, proba, leafAt[n0], C);
        addLeaf(sums, (i + 1) * C, proba, leafAt[n1], C);
        addLeaf(sums, (i + 2) * C, proba, leafAt[n2], C);
        addLeaf(sums, (i + 3) * C, proba, leafAt[n3], C);
        addLeaf(sums, (i + 4) * C, proba, leafAt[n4], C);
        addLeaf(sums, (i + 5) * C, proba, leafAt[n5], C);
        addLeaf(sums, (i + 6) * C, proba, leafAt[n6], C);
        addLeaf(sums, (i + 7) * C, proba, leafAt[n7], C);
      }
      for (; i < R; i++) {
        let n = root;
        const o = i * d;
        for (let f = feature[n]; f >= 0; f = feature[n]) n = child[n] + +(x[o + f] > threshold[n]);
        addLeaf(sums, i * C, proba, leafAt[n], C);
      }
    }
    for (let i = 0; i < sh.rows; i++) {
      const base = i * C;
      let best = 0;
      for (let c = 1; c < C; c++) if (sums[base + c] > sums[base + best]) best = c;
      labels[i] = best;
    }
    return null;
  },
}, import.meta.url);
