// Shard ops behind the drift statistics of two snapshots: one pass of per-feature histograms of a sortable 32-bit key
// (with sums, missing counts and per-segment totals), then passes that count finer buckets or collect the values of
// the few key ranges where the exact KS statistic, the baseline's deciles or the PSI edges still hide.
import { SegkitError } from '../util/errors.js';
import { BYTES, rowValues, shardColumn, view, type Shard } from '../kernels/shard.js';
import { defineOp } from '../engine/shardOp.js';
import { KEY_BIAS, keyCountBytes, keyCounter, type KeyTables } from '../kernels/keyCount.js';
import { labelDistancesShard } from '../kernels/labelDistances.js';
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

/** Below this length a typed-array sort is faster than the radix sort. */
const RADIX_FROM = 384;
const RADIX_BITS = 11;
const RADIX_COUNTS = new Uint32Array(3 << RADIX_BITS);
// grown to the longest list sorted (up to 16,384 values with the default limits): kept for the next sort
let radixA = new Int32Array(0), radixB = new Int32Array(0);

/**
 * Sorts float32 values holding no NaN in place, ascending, -0 before +0: the same bytes as `Float32Array#sort`. Long
 * arrays take an LSD radix sort of the sortable keys (11 bits a pass, skipping a pass whose digit is the same for
 * every value, as in a drift cell, whose values share their top key bits).
 */
export function sortValues(v: Float32Array): void {
  const n = v.length;
  if (n < RADIX_FROM) {
    v.sort();
    return;
  }
  if (radixA.length < n) {
    radixA = new Int32Array(n);
    radixB = new Int32Array(n);
  }
  const bits = bitsOf(v), h = RADIX_COUNTS, mask = (1 << RADIX_BITS) - 1;
  h.fill(0);
  for (let i = 0; i < n; i++) {
    // the key as int32 bits (its digits read unsigned); here -0 keeps a key below +0's, as the typed-array sort orders them
    const b = bits[i];
    const u = b ^ ((b >> 31) | -0x80000000);
    radixA[i] = u;
    h[u & mask]++;
    h[(1 << RADIX_BITS) + ((u >>> RADIX_BITS) & mask)]++;
    h[(2 << RADIX_BITS) + (u >>> (2 * RADIX_BITS))]++;
  }
  let src = radixA, dst = radixB;
  for (let p = 0; p < 3; p++) {
    const off = p << RADIX_BITS, sh = p * RADIX_BITS;
    if (h[off + ((src[0] >>> sh) & mask)] === n) continue;
    for (let b = 0, sum = 0; b <= mask; b++) {
      const c = h[off + b];
      h[off + b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const u = src[i];
      dst[h[off + ((u >>> sh) & mask)]++] = u;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  for (let i = 0; i < n; i++) {
    const u = src[i];
    bits[i] = u < 0 ? u ^ -0x80000000 : ~u;
  }
}

export interface ScanState {
  /** Segments: labels 0..k-1 are counted per segment, anything else (-1: not scored) in slot k. */
  k: number;
  /** Sum the per-row `value` per segment. */
  value: boolean;
  /** Centres (k x d, row-major, in the loaded units) to sum each row's distance to its own centre; empty for none. */
  centres: Float64Array;
  /**
   * Key ranges to count in sub-buckets in this pass as well (float32 shards): a refining pass planned ahead, from a
   * sample, so that the pass after this one can collect the values it needs rather than count again.
   */
  guide?: RefineFeature[];
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
  /** Per feature of the state's guide: its counts, as a refining pass's (absent without a guide or a histogram). */
  guided?: (Uint8Array | Uint16Array | Uint32Array)[];
}

/** keyCount without tables, for the first histogram: counter t is block t. */
const TOP_TABLES: KeyTables = { bg: new Int32Array(0), sub: new Int32Array(0), counters: TOP_BUCKETS };

/**
 * Tables that make the first histogram and count a guide's ranges in one sweep: one entry per top-bit block, a guided
 * block's naming its sub-buckets (a guide's ranges are whole blocks: `planGuide`), any other block's naming a counter
 * of its own after the guide's (block 0's holds the NaNs).
 */
const fused = new WeakMap<RefineFeature, KeyTables>();

function fusedOf(f: RefineFeature): KeyTables {
  let t = fused.get(f);
  if (t) return t;
  // an entry packs its counter index (plus KEY_BIAS) above 5 bits of shift, in an int32 that must stay positive
  if (!(f.counters + TOP_BUCKETS + KEY_BIAS < 2 ** 26)) throw new SegkitError('E_BAD_OPTION', `a drift guide asks for ${f.counters} counters of one feature, 2^26 - 2^21 - 2^11 or more`);
  const bg = new Int32Array(TOP_BUCKETS), sub = new Int32Array(TOP_BUCKETS + 1);
  for (let b = 0; b < TOP_BUCKETS; b++) {
    bg[b] = (b + 1) * 32 + TOP_SHIFT;
    sub[b + 1] = (f.counters + b + KEY_BIAS) * 32 + 31;
  }
  for (let q = 0; q < f.lo.length; q++) {
    const b = f.lo[q] / 2 ** TOP_SHIFT;
    if (!(Number.isInteger(b) && f.buckets[q] >= 2 && f.buckets[q] * 2 ** f.shift[q] === 2 ** TOP_SHIFT)) {
      throw new SegkitError('E_EXECUTOR', `a drift guide's range ${f.lo[q]} of feature ${f.j} is not a whole top-bit block`);
    }
    sub[b + 1] = (f.at[q] + KEY_BIAS) * 32 + f.shift[q];
  }
  t = { bg, sub, counters: f.counters + TOP_BUCKETS };
  fused.set(f, t);
  return t;
}

export const scanScratch = (s: ScanState, d: number, shardRows: number): number =>
  Math.max(keyCountBytes(TOP_TABLES, shardRows), 8 * (s.k * d + 2 * s.k) + 128, ...(s.guide ?? []).map((f) => keyCountBytes(fusedOf(f), shardRows)));

/** Pass 1 over a snapshot: top-bit histograms, sums and missing counts per feature; per-segment totals. */
export const driftScanOp = defineOp<ScanState, ScanPartial>({
  name: 'drift.scan',
  scratchBytes: scanScratch,
  run: (sh, s) => scanShard(sh, s),
}, import.meta.url);

/** Pass 1 on one shard (driftScanOp's run; also run right after labelling, by the op that does both). */
export function scanShard(sh: Shard, s: ScanState): ScanPartial {
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
  // the kernel counts the present values by their top key bits and sums them in row order; a guided feature's sweep
  // also counts the guide's ranges in sub-buckets, its other blocks in a counter each
  const f32 = sh.dtype === 'f32';
  const guideAt = new Int32Array(d).fill(-1);
  if (f32 && s.guide) s.guide.forEach((f, g) => { guideAt[f.j] = g; });
  const guided: NonNullable<ScanPartial['guided']> | undefined = f32 && s.guide ? new Array(s.guide.length) : undefined;
  for (let j = 0; j < d; j++) {
    let sum = 0, miss = 0;
    if (f32) {
      const g = guideAt[j] >= 0 ? s.guide![guideAt[j]] : undefined;
      sh.scratch.reset();
      const r = keyCounter(sh, g ? fusedOf(g) : TOP_TABLES)(j, true);
      const h = hist.subarray(j * TOP_BUCKETS, (j + 1) * TOP_BUCKETS);
      if (g) {
        // block 0's counter holds the NaNs
        h.set(r.counts.subarray(g.counters + 1, g.counters + TOP_BUCKETS), 1);
        for (let q = 0; q < g.lo.length; q++) {
          let c = 0;
          for (let u = g.at[q], end = u + g.buckets[q]; u < end; u++) c += r.counts[u];
          h[g.lo[q] / 2 ** TOP_SHIFT] = c;
        }
        guided![guideAt[j]] = narrowCounts(r.counts, g.counters);
      } else {
        h.set(r.counts);
      }
      let present = 0;
      for (let q = 0; q < TOP_BUCKETS; q++) present += h[q];
      sum = r.sum;
      miss = sh.rows - present;
    } else {
      // float64 rows (a pipeline's output, measured for distances only): sums and missing counts, no histogram
      const col = shardColumn(sh, j);
      for (let i = 0; i < sh.rows; i++) if (col[i] === col[i]) sum += col[i]; else miss++;
    }
    sums[j] = sum; missing[j] = miss;
  }
  let clean = sh.dtype === 'f32' && segRows[k] === 0;
  for (let j = 0; j < d; j++) if (missing[j] > 0) clean = false;
  if (measure && clean) {
    // every row labelled and present: the kernel sums the same float64 distances in the same order
    sh.scratch.reset();
    const out = labelDistancesShard(sh, s.centres, k, 'labels');
    for (let c = 0; c < k; c++) { segDist2[c] = out[c]; segDist[c] = out[k + c]; segMeasured[c] = segRows[c]; }
  } else if (measure) {
    // row by row over the shard's columns (stride apart), so each row's sum stays in a register
    const stride = sh.stride, cent = s.centres;
    const all = view(sh.mem, sh.dtype, sh.x + BYTES[sh.dtype] * sh.row0, (d - 1) * stride + sh.rows);
    for (let i = 0; i < sh.rows; i++) {
      const c = slot[i];
      if (c === k) continue;
      let a = 0;
      for (let j = 0, p = i, q = c * d; j < d; j++, p += stride, q++) {
        const t = all[p] - cent[q];
        a += t * t;
      }
      if (a !== a) continue;
      segDist[c] += Math.sqrt(a);
      segDist2[c] += a;
      segMeasured[c]++;
    }
  }
  const out: ScanPartial = { hist, sums, missing, segRows, segValue, segDist, segDist2, segMeasured };
  if (guided) out.guided = guided;
  return out;
}

/**
 * Key ranges of one feature to look into: cell q covers keys [lo[q], lo[q] + (buckets[q] << shift[q])), lies inside
 * one top-bit block, and is counted in `buckets[q]` sub-buckets (from `at[q]` in the feature's counts), or, with
 * `buckets[q]` = 0, has its values collected. Cells are sorted and disjoint.
 */
export interface RefineFeature {
  j: number;
  lo: Float64Array;
  shift: Int32Array;
  buckets: Int32Array;
  at: Int32Array;
  counters: number;
  /**
   * Values outside every cell are skipped (a branch) rather than counted in a trash counter: faster when few values
   * fall inside the cells, so the branch is predictable.
   */
  skipOutside: boolean;
}

export interface RefinePartial {
  /** Per feature of the state: counts of its counted cells' sub-buckets (in the narrowest type that holds them). */
  counts: (Uint8Array | Uint16Array | Uint32Array)[];
  /** Per feature: values of its collected cells, cell by cell in cell order, and how many fell in each cell. */
  values: Float32Array[];
  collected: Int32Array[];
}

/**
 * A feature's cells as tables, so most values find their counter without a branch: block `top` has entries of
 * 2^gsh[top] keys from `blk[top]` in `sub` (the kernel reads both from bg[top] = blk[top] << 5 | gsh[top]). An entry
 * >= 0 packs a counter index (<< 5) and a shift: a value's counter is the index plus its offset within the block
 * shifted, less KEY_BIAS (the index holds the entry's first counter less its first key's shifted offset, plus
 * KEY_BIAS, so it stays >= 0): an entry outside every cell names the trash counter, with shift 31, or is SKIP (the
 * kernel passes its values by). An entry equal to SLOW holds values to collect or cells finer than the entry, found
 * by a binary search over the cells that overlap the entry (`entryBegin`, `entryEnd`).
 */
interface Lookup {
  tables: KeyTables;
  /** Per cell: its first and last key as offsets within its block. */
  off: Int32Array;
  offLast: Int32Array;
  /** Per SLOW entry: the first cell it overlaps and one past its last. */
  entryBegin: Int32Array;
  entryEnd: Int32Array;
  /** Index of the trash counter (one past the feature's counters). */
  trash: number;
}

const LOW_MASK = (1 << TOP_SHIFT) - 1;
/** At most 2^10 entries per block: cells finer than 2^11 keys share an entry, found by a binary search. */
const SUB_BITS = 10;
const SLOW = -1;
const SKIP = -2;
const lookups = new WeakMap<RefineFeature, Lookup>();

function lookupOf(f: RefineFeature): Lookup {
  let l = lookups.get(f);
  if (l) return l;
  const cells = f.lo.length, trash = f.counters;
  // an entry packs its counter index (plus KEY_BIAS) above 5 bits of shift, in an int32 that must stay positive
  if (!(trash + KEY_BIAS < 2 ** 26)) throw new SegkitError('E_BAD_OPTION', `a drift pass asks for ${trash} counters of one feature, 2^26 - 2^21 or more`);
  // blocks without a cell share entry 0 (the trash counter) at a grain of the whole block
  const blk = new Int32Array(TOP_BUCKETS), gsh = new Int32Array(TOP_BUCKETS).fill(TOP_SHIFT);
  const off = new Int32Array(cells), offLast = new Int32Array(cells), logSize = new Int32Array(cells), topOf = new Int32Array(cells);
  for (let q = 0; q < cells; q++) {
    topOf[q] = Math.floor(f.lo[q] / 2 ** TOP_SHIFT);
    off[q] = f.lo[q] - topOf[q] * 2 ** TOP_SHIFT;
    logSize[q] = f.shift[q] + (f.buckets[q] === 0 ? 0 : Math.log2(f.buckets[q]));
    offLast[q] = off[q] + 2 ** logSize[q] - 1;
  }
  let total = 1;
  for (let q = 0; q < cells;) {
    const t = topOf[q];
    let g = TOP_SHIFT, e = q;
    for (; e < cells && topOf[e] === t; e++) g = Math.min(g, logSize[e]);
    g = Math.max(g, TOP_SHIFT - SUB_BITS);
    blk[t] = total;
    gsh[t] = g;
    total += 2 ** (TOP_SHIFT - g);
    q = e;
  }
  const sub = new Int32Array(total).fill(f.skipOutside ? SKIP : (trash + KEY_BIAS) * 32 + 31);
  const entryBegin = new Int32Array(total), entryEnd = new Int32Array(total);
  for (let q = 0; q < cells; q++) {
    const t = topOf[q], g = gsh[t];
    const from = blk[t] + (off[q] >>> g), to = blk[t] + (offLast[q] >>> g) + 1;
    if (logSize[q] < g || f.buckets[q] === 0) {
      // cells in order: an entry's first cell is the first to mark it
      for (let e = from; e < to; e++) {
        if (sub[e] !== SLOW) entryBegin[e] = q;
        entryEnd[e] = q + 1;
      }
      sub.fill(SLOW, from, to);
      continue;
    }
    // a counted cell spans whole entries; a sub-bucket holds 2^shift keys: a value at offset o counts in
    // at + (o - off) / 2^shift, rounded down (off is a multiple of 2^shift), so an entry finer than a sub-bucket names
    // that counter alone, and a coarser one names at - off / 2^shift, to which the kernel adds o >>> shift
    const sh = f.shift[q];
    if (sh < g) {
      sub.fill((f.at[q] - off[q] / 2 ** sh + KEY_BIAS) * 32 + sh, from, to);
      continue;
    }
    for (let e = from; e < to; e++) sub[e] = (Math.floor(f.at[q] + (((e - blk[t]) << g) - off[q]) / 2 ** sh) + KEY_BIAS) * 32 + 31;
  }
  const bg = new Int32Array(TOP_BUCKETS);
  for (let t = 0; t < TOP_BUCKETS; t++) bg[t] = blk[t] * 32 + gsh[t];
  l = { tables: { bg, sub, counters: trash + 1 }, off, offLast, entryBegin, entryEnd, trash };
  lookups.set(f, l);
  return l;
}

/**
 * The first `n` counters in the narrowest unsigned type that holds them: a shard's sub-buckets mostly hold a few
 * values each, and the caller receives and folds a partial per shard per pass.
 */
export function narrowCounts(cnt: Int32Array, n: number): Uint8Array | Uint16Array | Uint32Array {
  let max = 0;
  for (let q = 0; q < n; q++) max |= cnt[q];
  const out = max < 0x100 ? new Uint8Array(n) : max < 0x10000 ? new Uint16Array(n) : new Uint32Array(n);
  out.set(cnt.subarray(0, n));
  return out;
}

/** A later pass: sub-bucket counts of some key ranges, and the values of others, per feature. */
export const driftRefineOp = defineOp<{ features: RefineFeature[] }, RefinePartial>({
  name: 'drift.refine',
  scratchBytes: (s, _d, shardRows) => Math.max(0, ...s.features.map((f) => keyCountBytes(lookupOf(f).tables, shardRows))),
  run(sh, s) {
    const counts: RefinePartial['counts'] = [], values: Float32Array[] = [], collected: Int32Array[] = [];
    for (const f of s.features) {
      const col = shardColumn(sh, f.j);
      const bits = bitsOf(col);
      const cells = f.lo.length;
      const { tables, off, offLast, entryBegin, entryEnd, trash } = lookupOf(f);
      // the kernel counts the values whose entry names their counter and lists the others' rows
      sh.scratch.reset();
      const { counts: cnt, slow: rowList } = keyCounter(sh, tables)(f.j, false);
      const at = f.at, shift = f.shift, buckets = f.buckets, bg = tables.bg;
      const slotOf = new Int32Array(cells).fill(-1);
      let nColl = 0;
      for (let q = 0; q < cells; q++) if (buckets[q] === 0) slotOf[q] = nColl++;
      const per = new Int32Array(nColl);
      // each listed row's cell to collect (-1 for none), then the values cell by cell in row order
      const slotOfRow = new Int32Array(rowList.length).fill(-1);
      for (let r = 0; r < rowList.length; r++) {
        const u = signedKey(bits[rowList[r]]) ^ -0x80000000;
        const o = u & LOW_MASK, x = bg[u >>> TOP_SHIFT];
        // values to collect, or cells finer than the entry: the entry's last cell starting at or below o
        const e = (x >> 5) + (o >>> (x & 31));
        let q = entryBegin[e], hi = entryEnd[e];
        while (hi - q > 1) {
          const m = (q + hi) >>> 1;
          if (off[m] <= o) q = m; else hi = m;
        }
        if (off[q] > o || offLast[q] < o) continue;
        if (buckets[q] !== 0) {
          // a cell lies inside one top-bit block, so the offset's shift is exact
          cnt[at[q] + ((o - off[q]) >>> shift[q])]++;
          continue;
        }
        slotOfRow[r] = slotOf[q];
        per[slotOf[q]]++;
      }
      const fill = new Int32Array(nColl);
      for (let c = 1; c < nColl; c++) fill[c] = fill[c - 1] + per[c - 1];
      const out = new Float32Array(nColl ? fill[nColl - 1] + per[nColl - 1] : 0);
      for (let r = 0; r < rowList.length; r++) {
        const c = slotOfRow[r];
        if (c >= 0) out[fill[c]++] = col[rowList[r]];
      }
      counts.push(narrowCounts(cnt, trash));
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
