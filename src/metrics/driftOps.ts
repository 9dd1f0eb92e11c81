// Shard ops behind the drift statistics of two snapshots: one pass of per-feature histograms of a sortable 32-bit key
// (with sums, missing counts and per-segment totals), then passes that count finer buckets or collect the values of
// the few key ranges where the exact KS statistic, the baseline's deciles or the PSI edges still hide.
import { rowValues, shardColumn, type Shard } from '../kernels/shard.js';
import { defineOp } from '../engine/shardOp.js';

/** Bits of the first histogram: 2,048 buckets of the top 11 key bits (sign, 8 exponent bits, 2 mantissa bits). */
export const TOP_BITS = 11;
export const TOP_BUCKETS = 1 << TOP_BITS;
const TOP_SHIFT = 32 - TOP_BITS;

/** Bits of a float32 as uint32, viewed on the same memory. */
function bitsOf(col: Float32Array | Float64Array): Uint32Array {
  return new Uint32Array(col.buffer, col.byteOffset, col.length);
}

/**
 * Sortable key of a float32's bits (key order = numeric order; -0 is +0); -1 for NaN (a missing value).
 * Flipping every bit of negatives and the sign bit of the rest is the usual radix-sort key of IEEE floats.
 */
export function sortKey(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return -1;
  if (bits === 0x80000000) bits = 0;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
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
        const key = sortKey(bits[i]);
        if (key < 0) { miss++; continue; }
        h[key >>> TOP_SHIFT]++;
        sum += col[i];
      }
      sums[j] = sum; missing[j] = miss;
      if (dist2) {
        for (let i = 0; i < sh.rows; i++) {
          const c = slot[i];
          if (c === k) continue;
          const t = col[i] - s.centres[c * d + j];
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
      const lo = f.lo, first = f.first, at = f.at, shift = f.shift, buckets = f.buckets;
      const hi = new Float64Array(cells);
      for (let q = 0; q < cells; q++) hi[q] = lo[q] + (buckets[q] === 0 ? 1 : buckets[q]) * 2 ** shift[q];
      const slotOf = new Int32Array(cells).fill(-1);
      let nColl = 0;
      for (let q = 0; q < cells; q++) if (buckets[q] === 0) slotOf[q] = nColl++;
      const per = new Int32Array(nColl);
      // collected values go to one growing float32 buffer per cell (doubling), in a single pass over the rows
      const bufs: Float32Array[] = Array.from({ length: nColl }, () => new Float32Array(64));
      const rows = sh.rows;
      for (let i = 0; i < rows; i++) {
        const key = sortKey(bits[i]);
        if (key < 0) continue;
        let q = first[key >>> TOP_SHIFT];
        if (q < 0) continue;
        while (q < cells && hi[q] <= key) q++;
        if (q === cells || lo[q] > key) continue;
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
