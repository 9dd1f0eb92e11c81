// Shard ops behind the drift statistics of two snapshots: one pass of per-feature histograms of a sortable 32-bit key
// (with sums, missing counts and per-segment totals), then passes that count finer buckets or collect the values of
// the few key ranges where the exact KS statistic, the baseline's deciles or the PSI edges still hide.
import { rowValues, shardColumn, type Shard } from '../kernels/shard.js';
import { defineOp } from '../engine/shardOp.js';
import { ksPValue, type KsMethod } from './ksTwoSample.js';

/** Bits of the first histogram: 2,048 buckets of the top 11 key bits (sign, 8 exponent bits, 2 mantissa bits). */
export const TOP_BITS = 11;
export const TOP_BUCKETS = 1 << TOP_BITS;
const TOP_SHIFT = 32 - TOP_BITS;

/** Bits of a float32 as int32, viewed on the same memory (int32 keeps the hot loops in small integers). */
function bitsOf(col: Float32Array | Float64Array): Int32Array {
  return new Int32Array(col.buffer, col.byteOffset, col.length);
}

/** NaN bits (b & 0x7fffffff above this): a missing value. */
const NAN_ABOVE = 0x7f800000;
/** The signed form of a present value's sortable key (key - 2^31): signed order is numeric order, -0 is +0. */
const signedKey = (b: number): number => (b === -0x80000000 ? 0 : b ^ ((b >> 31) & 0x7fffffff));

/**
 * Sortable key of a float32's bits (key order = numeric order; -0 is +0); -1 for NaN (a missing value).
 * Flipping every bit of negatives and the sign bit of the rest is the usual radix-sort key of IEEE floats.
 */
export function sortKey(bits: number): number {
  const b = bits | 0;
  if ((b & 0x7fffffff) > NAN_ABOVE) return -1;
  return (signedKey(b) ^ 0x80000000) >>> 0;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The float32 value of a sortable key. */
export function keyValue(key: number): number {
  U32[0] = key & 0x80000000 ? key & 0x7fffffff : ~key;
  return F32[0];
}

/** The key of a float32 value (finite or infinite). */
export function valueKey(v: number): number {
  F32[0] = v;
  return sortKey(U32[0]);
}

export interface ScanState {
  /** Segments: labels 0..k-1 are counted per segment, anything else (-1: not scored) in slot k. */
  k: number;
  /** Sum the per-row `value` per segment. */
  value: boolean;
  /** Centres (k x d, row-major, in the loaded units) to sum each row's distance to its own centre; empty for none. */
  centres: Float64Array;
}

export interface ScanPartial {
  /** d x 2,048 counts of the top key bits of the present values. */
  hist: Uint32Array;
  /** Per feature: sum of the present values, and how many are missing. */
  sums: Float64Array;
  missing: Float64Array;
  /** Per segment (k + 1 slots): rows, sum of `value`, sum of distances and of squared distances to the own centre. */
  segRows: Float64Array;
  segValue: Float64Array;
  segDist: Float64Array;
  segDist2: Float64Array;
  /** Per segment: rows whose distance was measured (no missing feature). */
  segMeasured: Float64Array;
}

/** Pass 1 over a snapshot: top-bit histograms, sums and missing counts per feature; per-segment totals. */
export const driftScanOp = defineOp<ScanState, ScanPartial>({
  name: 'drift.scan',
  run(sh: Shard, s) {
    const d = sh.d, k = s.k;
    const hist = new Uint32Array(d * TOP_BUCKETS);
    const sums = new Float64Array(d), missing = new Float64Array(d);
    const segRows = new Float64Array(k + 1), segValue = new Float64Array(k + 1);
    const segDist = new Float64Array(k + 1), segDist2 = new Float64Array(k + 1), segMeasured = new Float64Array(k + 1);
    const labels = rowValues(sh, 'labels', 'i32');
    const slot = new Int32Array(sh.rows);
    for (let i = 0; i < sh.rows; i++) {
      const c = labels[i];
      slot[i] = c >= 0 && c < k ? c : k;
      segRows[slot[i]]++;
    }
    if (s.value) {
      const value = rowValues(sh, 'value', 'f64');
      for (let i = 0; i < sh.rows; i++) if (value[i] === value[i]) segValue[slot[i]] += value[i];
    }
    const measure = s.centres.length === k * d && k > 0;
    const dist2 = measure ? new Float64Array(sh.rows) : undefined;
    for (let j = 0; j < d; j++) {
      const col = shardColumn(sh, j);
      const bits = bitsOf(col);
      const h = hist.subarray(j * TOP_BUCKETS, (j + 1) * TOP_BUCKETS);
      let sum = 0, miss = 0;
      for (let i = 0; i < sh.rows; i++) {
        const b = bits[i];
        if ((b & 0x7fffffff) > NAN_ABOVE) { miss++; continue; }
        // the unsigned key's top bits: the signed key's, sign bit flipped
        h[(signedKey(b) >>> TOP_SHIFT) ^ (TOP_BUCKETS >> 1)]++;
        sum += col[i];
      }
      sums[j] = sum; missing[j] = miss;
      if (dist2) {
        const cj = new Float64Array(k + 1);
        for (let c = 0; c < k; c++) cj[c] = s.centres[c * d + j];
        for (let i = 0; i < sh.rows; i++) {
          const c = slot[i];
          if (c === k) continue;
          const t = col[i] - cj[c];
          dist2[i] += t * t;
        }
      }
    }
    if (dist2) {
      for (let i = 0; i < sh.rows; i++) {
        const c = slot[i];
        if (c === k || dist2[i] !== dist2[i]) continue;
        segDist[c] += Math.sqrt(dist2[i]);
        segDist2[c] += dist2[i];
        segMeasured[c]++;
      }
    }
    return { hist, sums, missing, segRows, segValue, segDist, segDist2, segMeasured };
  },
}, import.meta.url);

/**
 * Key ranges of one feature to look into: cell q covers keys [lo[q], lo[q] + (buckets[q] << shift[q])), lies inside
 * one top-bit block, and is counted in `buckets[q]` sub-buckets (from `at[q]` in the feature's counts), or, with
 * `buckets[q]` = 0, has its values collected. `first[top]` is the first cell in that top-bit block, or -1.
 */
export interface RefineFeature {
  j: number;
  lo: Float64Array;
  shift: Int32Array;
  buckets: Int32Array;
  at: Int32Array;
  first: Int32Array;
  counters: number;
}

export interface RefinePartial {
  /** Per feature of the state: counts of its counted cells' sub-buckets. */
  counts: Uint32Array[];
  /** Per feature: values of its collected cells, cell by cell in cell order, and how many fell in each cell. */
  values: Float32Array[];
  collected: Int32Array[];
}

/** A later pass: sub-bucket counts of some key ranges, and the values of others, per feature. */
export const driftRefineOp = defineOp<{ features: RefineFeature[] }, RefinePartial>({
  name: 'drift.refine',
  run(sh, s) {
    const counts: Uint32Array[] = [], values: Float32Array[] = [], collected: Int32Array[] = [];
    for (const f of s.features) {
      const col = shardColumn(sh, f.j);
      const bits = bitsOf(col);
      const cnt = new Uint32Array(f.counters);
      const cells = f.lo.length;
      // cells are sorted and disjoint; first[top] is the first cell of a top-bit block (earlier cells end before it)
      // cell bounds as signed keys (key - 2^31), the upper one inclusive, so every comparison stays in int32
      const first = f.first, at = f.at, shift = f.shift, buckets = f.buckets;
      const lo = new Int32Array(cells), last = new Int32Array(cells);
      // end[top]: one past the block's last cell; near: a bit per 2^16 keys that some cell reaches (most rows of a
      // pass fall in no cell and stop there)
      const end = new Int32Array(TOP_BUCKETS), near = new Int32Array(1 << 11);
      for (let q = 0; q < cells; q++) {
        const top = f.lo[q] + (buckets[q] === 0 ? 1 : buckets[q]) * 2 ** shift[q] - 1;
        lo[q] = f.lo[q] - 2 ** 31;
        last[q] = top - 2 ** 31;
        end[Math.floor(f.lo[q] / 2 ** TOP_SHIFT)] = q + 1;
        for (let r = Math.floor(f.lo[q] / 2 ** 16); r <= Math.floor(top / 2 ** 16); r++) near[r >>> 5] |= 1 << (r & 31);
      }
      const slotOf = new Int32Array(cells).fill(-1);
      let nColl = 0;
      for (let q = 0; q < cells; q++) if (buckets[q] === 0) slotOf[q] = nColl++;
      const per = new Int32Array(nColl);
      // collected values go to one growing float32 buffer per cell (doubling), in a single pass over the rows
      const bufs: Float32Array[] = Array.from({ length: nColl }, () => new Float32Array(64));
      const rows = sh.rows;
      for (let i = 0; i < rows; i++) {
        const b = bits[i];
        if ((b & 0x7fffffff) > NAN_ABOVE) continue;
        const key = signedKey(b);
        const r = (key >>> 16) ^ 0x8000;
        if (!((near[r >>> 5] >>> (r & 31)) & 1)) continue;
        const top = (key >>> TOP_SHIFT) ^ (TOP_BUCKETS >> 1);
        // the block's last cell starting at or below the key
        let q = first[top], e = end[top];
        if (q < 0) continue;
        while (e - q > 1) {
          const m = (q + e) >>> 1;
          if (lo[m] <= key) q = m; else e = m;
        }
        if (lo[q] > key || last[q] < key) continue;
        if (buckets[q] !== 0) {
          // a cell lies inside one top-bit block, so key - lo < 2^21 and the shift is exact
          cnt[at[q] + ((key - lo[q]) >>> shift[q])]++;
          continue;
        }
        const c = slotOf[q];
        let buf = bufs[c];
        if (per[c] === buf.length) {
          const grown = new Float32Array(2 * buf.length);
          grown.set(buf);
          bufs[c] = buf = grown;
        }
        buf[per[c]++] = col[i];
      }
      let total = 0;
      for (let c = 0; c < nColl; c++) total += per[c];
      const out = new Float32Array(total);
      for (let c = 0, at2 = 0; c < nColl; c++) {
        out.set(bufs[c].subarray(0, per[c]), at2);
        at2 += per[c];
      }
      counts.push(cnt);
      values.push(out);
      collected.push(per);
    }
    return { counts, values, collected };
  },
}, import.meta.url);

/**
 * The KS p-values of the features, shared out by shard: shard s takes features s, s + shards, ... (each p-value a
 * pure function of D, n1 and n2, up to n terms of a Smirnov sum for large samples). `items` holds [D, n1, n2] per
 * feature; each result is [feature, D, p-value, 1 when exact].
 */
export const ksPValuesOp = defineOp<{ items: Float64Array; method: KsMethod; shards: number }, Float64Array>({
  name: 'drift.ksPValues',
  run(sh, s) {
    const out: number[] = [];
    for (let f = sh.index; 3 * f < s.items.length; f += s.shards) {
      const r = ksPValue(s.items[3 * f], s.items[3 * f + 1], s.items[3 * f + 2], s.method);
      out.push(f, r.statistic, r.pvalue, r.method === 'exact' ? 1 : 0);
    }
    return Float64Array.from(out);
  },
}, import.meta.url);
