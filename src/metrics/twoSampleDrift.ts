import { SegkitError, throwIfAborted } from '../util/errors.js';
import type { Executor, Handle } from '../engine/executor.js';
import type { ShardOp } from '../engine/shardOp.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { driftRefineOp, driftScanOp, ksPValuesOp, keyValue, sortKey, sortValues, TOP_BITS, TOP_BUCKETS, valueKey, type RefineFeature, type RefinePartial, type ScanPartial } from './driftOps.js';
import type { KsMethod, KsResult } from './ksTwoSample.js';

/** The population stability index of one feature, with the bins it was computed on. */
export interface PsiResult {
  value: number;
  /** The 9 inner bin edges: the baseline's deciles (numpy's default linear quantile). */
  edges: number[];
  countsBefore: number[];
  countsAfter: number[];
  /** Per bin (p_after - p_before) ln(p_after / p_before), with an empty bin's share set to 1e-4. */
  contributions: number[];
}

export interface FeatureDrift {
  feature: string;
  /** Present (non-missing) values in each snapshot. */
  nBefore: number;
  nAfter: number;
  missingBefore: number;
  missingAfter: number;
  meanBefore: number;
  meanAfter: number;
  /** Two-sided two-sample Kolmogorov-Smirnov test (null when a snapshot has no value of the feature). */
  ks: KsResult | null;
  psi: PsiResult | null;
}

/** Per segment (k + 1 slots, the last for rows without a segment): totals of one snapshot. */
export interface SegmentTotals {
  rows: Float64Array;
  value: Float64Array;
  distance: Float64Array;
  distance2: Float64Array;
  measured: Float64Array;
}

export const PSI_FLOOR = 1e-4;
const DECILES = Array.from({ length: 9 }, (_, i) => (i + 1) / 10);
/**
 * Counters per feature per refining pass, values one key range may return (TARGET_COLLECT times as many for a range
 * holding a decile rank or a PSI edge), and values a feature may collect in one pass.
 */
export interface DriftLimits {
  budget: number;
  collectCell: number;
  collectFeature: number;
}
// counting is cheap per value and its partials small; collecting pays per value returned, so only small ranges are collected
const LIMITS: DriftLimits = { budget: 16384, collectCell: 4096, collectFeature: 1 << 17 };
/** A range holding a decile rank or a PSI edge is collected up to this many times `collectCell` values. */
const TARGET_COLLECT = 4;
/** Below this share of the values inside a pass's cells, the others are skipped by a branch, not counted apart. */
const SKIP_BELOW = 0.2;

/**
 * A feature's key ranges, sorted and disjoint, as columns (no object per range): range q covers keys
 * [lo[q], lo[q] + size[q]) and holds c1[q] values before and c2[q] after; s1 and s2 count the values below each range
 * (n + 1 entries). A collected range has its values, sorted, and the max and min of F1 - F2 at them once measured
 * (NaN until then).
 */
interface Cells {
  n: number;
  lo: Float64Array;
  size: Float64Array;
  c1: Float64Array;
  c2: Float64Array;
  s1: Float64Array;
  s2: Float64Array;
  v1: (Float32Array | undefined)[];
  v2: (Float32Array | undefined)[];
  max: Float64Array;
  min: Float64Array;
}

function makeCells(n: number): Cells {
  return {
    n, lo: new Float64Array(n), size: new Float64Array(n), c1: new Float64Array(n), c2: new Float64Array(n),
    s1: new Float64Array(n + 1), s2: new Float64Array(n + 1), v1: new Array(n).fill(undefined), v2: new Array(n).fill(undefined),
    max: new Float64Array(n).fill(NaN), min: new Float64Array(n).fill(NaN),
  };
}

/** Fills in the counts below each range. */
function withStarts(c: Cells): Cells {
  for (let q = 0; q < c.n; q++) {
    c.s1[q + 1] = c.s1[q] + c.c1[q];
    c.s2[q + 1] = c.s2[q] + c.c2[q];
  }
  return c;
}

/** Index of the first element whose key exceeds `key` in values sorted ascending (so: how many have key <= key). */
function countAtMost(v: Float32Array, key: number): number {
  let a = 0, b = v.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (valueKey(v[m]) <= key) a = m + 1; else b = m;
  }
  return a;
}

/** numpy's linear quantile interpolation (_lerp), so edges match np.quantile to the last bit. */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Exact two-sample statistics of one feature from key histograms, refined only where the answer hides: the KS
 * statistic (branch and bound: a key range is opened only when the largest |F1 - F2| it could hold exceeds the best
 * value already seen at a range end), the baseline's order statistics at the decile ranks, and both CDFs at the PSI
 * edges. Counting stays within BUDGET counters per feature per pass; small ranges return their values instead.
 */
class FeatureCells {
  private cells: Cells;
  ranks: number[];
  /** The PSI edges' keys (the largest float32 key at or below each edge), once the ranks are known. */
  edgeKeys: Float64Array | undefined;
  edges: number[] | undefined;
  constructor(readonly j: number, hist1: Uint32Array, hist2: Uint32Array, readonly n1: number, readonly n2: number, private readonly limits: DriftLimits) {
    let n = 0;
    for (let b = 0; b < TOP_BUCKETS; b++) if (hist1[b] + hist2[b] > 0) n++;
    const c = makeCells(n);
    for (let b = 0, q = 0; b < TOP_BUCKETS; b++) {
      if (hist1[b] + hist2[b] === 0) continue;
      c.lo[q] = b * 2 ** (32 - TOP_BITS);
      c.size[q] = 2 ** (32 - TOP_BITS);
      c.c1[q] = hist1[b];
      c.c2[q] = hist2[b];
      q++;
    }
    this.cells = withStarts(c);
    const ranks = new Set<number>();
    for (const p of DECILES) {
      const h = (n1 - 1) * p;
      ranks.add(Math.floor(h));
      ranks.add(Math.min(Math.floor(h) + 1, n1 - 1));
    }
    this.ranks = [...ranks].sort((a, b) => a - b);
  }

  /**
   * max and min of F1 - F2 over every point known exactly (range ends, collected values). A collected range's are
   * measured once: the counts below a range never change as other ranges are refined.
   */
  private known(): { max: number; min: number } {
    const { n1, n2 } = this;
    const c = this.cells, { s1, s2 } = c;
    let max = -Infinity, min = Infinity;
    for (let q = 0; q < c.n; q++) {
      const x = c.v1[q], y = c.v2[q];
      if (x && y) {
        if (c.max[q] !== c.max[q]) {
          // the values hold no NaN, and numeric order ranks them as their keys do (-0 and +0 alike)
          let cmax = -Infinity, cmin = Infinity, i = 0, k = 0;
          while (i < x.length || k < y.length) {
            const v = i < x.length && (k >= y.length || x[i] <= y[k]) ? x[i] : y[k];
            while (i < x.length && x[i] <= v) i++;
            while (k < y.length && y[k] <= v) k++;
            const diff = (s1[q] + i) / n1 - (s2[q] + k) / n2;
            if (diff > cmax) cmax = diff;
            if (diff < cmin) cmin = diff;
          }
          c.max[q] = cmax;
          c.min[q] = cmin;
        }
        if (c.max[q] > max) max = c.max[q];
        if (c.min[q] < min) min = c.min[q];
      }
      const diff = s1[q + 1] / n1 - s2[q + 1] / n2;
      if (diff > max) max = diff;
      if (diff < min) min = diff;
    }
    return { max, min };
  }

  private cellOfKey(key: number): number {
    const c = this.cells;
    let a = 0, b = c.n;
    while (a < b) {
      const m = (a + b) >> 1;
      if (c.lo[m] + c.size[m] <= key) a = m + 1; else b = m;
    }
    return a;
  }

  /** F1 and F2 counts at key (values with key <= key), or undefined when that needs a finer look. */
  private countsAt(key: number): [number, number] | undefined {
    const q = this.cellOfKey(key);
    const c = this.cells, { s1, s2 } = c;
    if (q === c.n) return [this.n1, this.n2];
    if (key < c.lo[q]) return [s1[q], s2[q]];
    if (key === c.lo[q] + c.size[q] - 1) return [s1[q + 1], s2[q + 1]];
    const x = c.v1[q], y = c.v2[q];
    if (x && y) return [s1[q] + countAtMost(x, key), s2[q] + countAtMost(y, key)];
    return undefined;
  }

  /** The range holding the baseline's value of rank r (0-based). */
  private cellOfRank(r: number): number {
    const s1 = this.cells.s1;
    let a = 0, b = this.cells.n;
    while (a < b) {
      const m = (a + b) >> 1;
      if (s1[m + 1] <= r) a = m + 1; else b = m;
    }
    return a;
  }

  /**
   * The baseline's value of rank r, a zero always +0 (-0 and +0 share a key, and a collected range lists -0 first):
   * the same value whether the rank's range was collected or refined down to one key.
   */
  private valueAtRank(r: number): number | undefined {
    const q = this.cellOfRank(r), c = this.cells;
    if (c.size[q] === 1) return keyValue(c.lo[q]);
    const x = c.v1[q];
    if (x) return x[r - c.s1[q]] + 0;
    return undefined;
  }

  /**
   * The cells to look into next (by index), most needed first; empty when everything is known. `slack` lowers the
   * KS bound a range must pass to be opened (a plan made from a sample, whose bound is itself uncertain).
   */
  needs(slack = 0): { need: number[]; targets: number } {
    const c = this.cells, { s1, s2 } = c;
    const want = new Set<number>();
    const open = (q: number) => { if (c.size[q] > 1 && !c.v1[q]) want.add(q); };
    // ranks of the baseline, then the PSI edges once the ranks are known
    let ranksKnown = true;
    for (const r of this.ranks) {
      if (this.valueAtRank(r) === undefined) {
        ranksKnown = false;
        open(this.cellOfRank(r));
      }
    }
    if (ranksKnown && !this.edgeKeys) {
      const at = new Map(this.ranks.map((r) => [r, this.valueAtRank(r)!]));
      this.edges = DECILES.map((p) => {
        const h = (this.n1 - 1) * p;
        const lo = Math.floor(h);
        return lerp(at.get(lo)!, at.get(Math.min(lo + 1, this.n1 - 1))!, h - lo);
      });
      this.edgeKeys = Float64Array.from(this.edges, (e) => {
        const f = Math.fround(e);
        return valueKey(f) - (f > e ? 1 : 0);
      });
    }
    const edgeKeys = this.edgeKeys;
    if (edgeKeys) for (let e = 0; e < edgeKeys.length; e++) if (!this.countsAt(edgeKeys[e])) open(this.cellOfKey(edgeKeys[e]));
    const { max, min } = this.known();
    const lb = Math.max(max, -min) - slack;
    const { n1, n2 } = this;
    const ks: [number, number][] = [];
    for (let q = 0; q < c.n; q++) {
      if (c.size[q] === 1 || c.v1[q] || c.c1[q] === 0 || c.c2[q] === 0 || want.has(q)) continue;
      const ub = Math.max((s1[q] + c.c1[q]) / n1 - s2[q] / n2, (s2[q] + c.c2[q]) / n2 - s1[q] / n1);
      if (ub > lb) ks.push([q, ub]);
    }
    ks.sort((a, b) => b[1] - a[1]);
    const need = Array.from(want);
    for (let i = 0; i < ks.length; i++) need.push(ks[i][0]);
    return { need, targets: want.size };
  }

  /** The refine request for the needed cells (which become counted or collected). */
  request(need: number[], targets: number): { spec: RefineFeature; plan: { q: number; bits: number }[] } {
    const c = this.cells;
    let collectedRows = 0;
    const plan: { q: number; bits: number }[] = [];
    const counted: number[] = [];
    for (let i = 0; i < need.length; i++) {
      const q = need[i];
      // a range holding a decile rank or a PSI edge is collected up to a larger size: counted, it would take a pass more
      const limit = i < targets ? TARGET_COLLECT * this.limits.collectCell : this.limits.collectCell;
      if (c.c1[q] + c.c2[q] <= limit && collectedRows + c.c1[q] + c.c2[q] <= this.limits.collectFeature) {
        collectedRows += c.c1[q] + c.c2[q];
        plan.push({ q, bits: 0 });
      } else {
        counted.push(q);
      }
    }
    // sub-buckets in proportion to each range's share of the customers, so every sub-bucket holds about the same
    // mass (mu); ranges holding a decile rank or a PSI edge (the first `targets` of `need`) get full resolution
    const budget = this.limits.budget;
    const mass = (q: number) => c.c1[q] / this.n1 + c.c2[q] / this.n2;
    const maxBits = (q: number) => Math.min(TOP_BITS, Math.log2(c.size[q]));
    const isTarget = new Set(need.slice(0, targets));
    const take = counted.slice(0, Math.max(1, budget / 4));
    let totalMass = 0;
    for (const q of take) totalMass += mass(q);
    const mu = totalMass / (budget / 2);
    const bits = take.map((q) => Math.max(1, Math.min(maxBits(q), isTarget.has(q) ? TOP_BITS : Math.ceil(Math.log2(Math.max(1, mass(q) / mu))))));
    let used = bits.reduce((a, b) => a + 2 ** b, 0);
    while (used > budget) {
      let big = 0;
      for (let i = 1; i < bits.length; i++) if (bits[i] > bits[big]) big = i;
      if (bits[big] <= 1) break;
      used -= 2 ** (bits[big] - 1);
      bits[big]--;
    }
    take.forEach((q, i) => plan.push({ q, bits: bits[i] }));
    plan.sort((a, b) => a.q - b.q);
    const lo = new Float64Array(plan.length), shift = new Int32Array(plan.length), buckets = new Int32Array(plan.length), at = new Int32Array(plan.length);
    let counters = 0;
    plan.forEach(({ q, bits }, i) => {
      lo[i] = c.lo[q];
      const logSize = Math.log2(c.size[q]);
      shift[i] = bits === 0 ? logSize : logSize - bits;
      buckets[i] = bits === 0 ? 0 : 2 ** bits;
      at[i] = counters;
      counters += buckets[i];
    });
    // the share of the values inside the cells looked into: when it is small, the kernel skips the rest by a branch
    let inside = 0;
    for (const { q } of plan) inside += c.c1[q] + c.c2[q];
    const skipOutside = inside < SKIP_BELOW * (this.n1 + this.n2);
    return { spec: { j: this.j, lo, shift, buckets, at, counters, skipOutside }, plan };
  }

  /** Folds the merged results of a pass into the cells (the plan is in cell order). */
  apply(plan: { q: number; bits: number }[], counts1: Float64Array, counts2: Float64Array, values1: Float32Array[], values2: Float32Array[]): void {
    const old = this.cells;
    // a counted range becomes its non-empty sub-buckets
    let n = old.n, at = 0;
    for (const { bits } of plan) {
      if (bits === 0) continue;
      n--;
      for (let b = 0; b < 2 ** bits; b++) if (counts1[at + b] + counts2[at + b] > 0) n++;
      at += 2 ** bits;
    }
    const c = makeCells(n);
    let next = 0, to = 0, coll = 0;
    // old ranges [next, end) as they were
    const keep = (end: number) => {
      for (const col of ['lo', 'size', 'c1', 'c2', 'max', 'min'] as const) c[col].set(old[col].subarray(next, end), to);
      for (let q = next; q < end; q++, to++) {
        c.v1[to] = old.v1[q];
        c.v2[to] = old.v2[q];
      }
      next = end;
    };
    at = 0;
    for (const { q, bits } of plan) {
      keep(q);
      if (bits === 0) {
        keep(q + 1);
        c.v1[to - 1] = values1[coll];
        c.v2[to - 1] = values2[coll++];
        continue;
      }
      const m = 2 ** bits, sub = old.size[q] / m, lo = old.lo[q];
      for (let b = 0; b < m; b++) {
        const a1 = counts1[at + b], a2 = counts2[at + b];
        if (a1 + a2 === 0) continue;
        c.lo[to] = lo + b * sub;
        c.size[to] = sub;
        c.c1[to] = a1;
        c.c2[to] = a2;
        to++;
      }
      at += m;
      next = q + 1;
    }
    keep(old.n);
    this.cells = withStarts(c);
  }

  /**
   * Folds in the counts of a guide counted in pass 1 (`planGuide`): its cells are whole top-bit blocks, each holding
   * values of both snapshots' samples and so present in the histograms.
   */
  applyGuide(spec: RefineFeature, counts1: Float64Array, counts2: Float64Array): void {
    const c = this.cells;
    const plan: { q: number; bits: number }[] = [];
    for (let i = 0; i < spec.lo.length; i++) {
      const q = this.cellOfKey(spec.lo[i]), bits = Math.log2(spec.buckets[i]);
      if (q === c.n || c.lo[q] !== spec.lo[i] || !(bits >= 1) || c.size[q] !== 2 ** (spec.shift[i] + bits)) {
        throw new SegkitError('E_EXECUTOR', `drift pass 1 counted key range ${spec.lo[i]} of feature ${spec.j}, which its histogram does not hold`);
      }
      plan.push({ q, bits });
    }
    this.apply(plan, counts1, counts2, [], []);
  }

  result(): { ks: number; psi: PsiResult } {
    const { max, min } = this.known();
    const lo = Math.min(1, Math.max(0, -min));
    const statistic = lo > max ? lo : max;
    const c1: number[] = [], c2: number[] = [];
    let p1 = 0, p2 = 0;
    for (const key of this.edgeKeys!) {
      const [a, b] = this.countsAt(key)!;
      c1.push(a - p1); c2.push(b - p2);
      p1 = a; p2 = b;
    }
    c1.push(this.n1 - p1); c2.push(this.n2 - p2);
    const contributions = c1.map((a, i) => {
      const pb = a === 0 ? PSI_FLOOR : a / this.n1;
      const pa = c2[i] === 0 ? PSI_FLOOR : c2[i] / this.n2;
      return (pa - pb) * Math.log(pa / pb);
    });
    let value = 0;
    for (const c of contributions) value += c;
    return { ks: statistic, psi: { value, edges: this.edges!, countsBefore: c1, countsAfter: c2, contributions } };
  }
}

function addCounts(to: Float64Array, c: Uint8Array): void {
  for (let q = 0; q < c.length; q++) to[q] += c[q];
}
function addCounts16(to: Float64Array, c: Uint16Array): void {
  for (let q = 0; q < c.length; q++) to[q] += c[q];
}
function addCounts32(to: Float64Array, c: Uint32Array): void {
  for (let q = 0; q < c.length; q++) to[q] += c[q];
}

/**
 * Feature f of a refining pass's partials (shard order): its counters summed, and each collected range's values from
 * every shard, sorted.
 */
function foldRefine(parts: RefinePartial[], f: number, counters: number, collectedCells: number): { counts: Float64Array; lists: Float32Array[] } {
  const counts = new Float64Array(counters);
  for (let s = 0; s < parts.length; s++) {
    // a loop per array type: one loop over all three would read each element through a polymorphic load
    const c = parts[s].counts[f];
    if (c instanceof Uint8Array) addCounts(counts, c);
    else if (c instanceof Uint16Array) addCounts16(counts, c);
    else addCounts32(counts, c);
  }
  const lists: Float32Array[] = [];
  for (let c = 0; c < collectedCells; c++) {
    let total = 0;
    for (let s = 0; s < parts.length; s++) total += parts[s].collected[f][c];
    lists.push(new Float32Array(total));
  }
  const fill = new Int32Array(collectedCells);
  for (let s = 0; s < parts.length; s++) {
    const per = parts[s].collected[f], values = parts[s].values[f];
    for (let c = 0, at = 0; c < collectedCells; c++) {
      lists[c].set(values.subarray(at, at + per[c]), fill[c]);
      fill[c] += per[c];
      at += per[c];
    }
  }
  for (const l of lists) sortValues(l);
  return { counts, lists };
}

/** Runs of 16 rows (a 64-byte line of a float32 column) that `planGuide` samples from each snapshot's columns. */
const GUIDE_RUNS = 2048;
const GUIDE_RUN = 16;

/**
 * Plans pass 1's guide from a sample of both snapshots (runs of rows spread evenly through each column): the ranges a
 * first refining pass would count, found on the sample's top-bit histograms as that pass finds them on the whole
 * snapshots', with the decile ranks widened by three standard errors of a sample quantile and the KS bound lowered by
 * 3 sqrt(1/m1 + 1/m2) (samples of m1 and m2 values). Counted in pass 1, they let the next pass collect values at once.
 * The sample only decides where to count: every statistic is still exact, and a range the sample missed is refined as
 * before.
 */
export function planGuide(before: readonly Float32Array[], after: readonly Float32Array[], limits: DriftLimits = LIMITS): RefineFeature[] {
  const guide: RefineFeature[] = [];
  const sampleHist = (col: Float32Array): { hist: Uint32Array; m: number } => {
    const hist = new Uint32Array(TOP_BUCKETS);
    const bits = new Int32Array(col.buffer, col.byteOffset, col.length);
    const n = col.length, runs = Math.min(GUIDE_RUNS, Math.floor(n / GUIDE_RUN));
    let m = 0;
    for (let r = 0; r < runs; r++) {
      const a = Math.floor((r * (n - GUIDE_RUN)) / Math.max(1, runs - 1));
      for (let i = a; i < a + GUIDE_RUN; i++) {
        const key = sortKey(bits[i]);
        if (key < 0) continue;
        hist[key >>> (32 - TOP_BITS)]++;
        m++;
      }
    }
    return { hist, m };
  };
  for (let j = 0; j < before.length; j++) {
    const b = sampleHist(before[j]), a = sampleHist(after[j]);
    if (b.m < 2 || a.m < 2) continue;
    // the sample's cells are counted, never collected: its counts are not the snapshots'
    const fc = new FeatureCells(j, b.hist, a.hist, b.m, a.m, { budget: limits.budget, collectCell: 0, collectFeature: 0 });
    const ranks = new Set(fc.ranks);
    for (const p of DECILES) {
      const spread = 3 * Math.sqrt(b.m * p * (1 - p));
      ranks.add(Math.max(0, Math.floor((b.m - 1) * p - spread)));
      ranks.add(Math.min(b.m - 1, Math.ceil((b.m - 1) * p + spread)));
    }
    fc.ranks = [...ranks].sort((x, y) => x - y);
    const { need, targets } = fc.needs(3 * Math.sqrt(1 / b.m + 1 / a.m));
    if (need.length) guide.push(fc.request(need, targets).spec);
  }
  return guide;
}

/** Per-segment totals of k segments and the unscored slot, all zero. */
export function emptySegmentTotals(k: number): SegmentTotals {
  return { rows: new Float64Array(k + 1), value: new Float64Array(k + 1), distance: new Float64Array(k + 1), distance2: new Float64Array(k + 1), measured: new Float64Array(k + 1) };
}

function mergeScan(parts: ScanPartial[], d: number, k: number): { hist: Uint32Array; sums: Float64Array; missing: Float64Array; seg: SegmentTotals } {
  const hist = new Uint32Array(d * TOP_BUCKETS), sums = new Float64Array(d), missing = new Float64Array(d);
  const seg = emptySegmentTotals(k);
  for (const p of parts) {
    for (let q = 0; q < hist.length; q++) hist[q] += p.hist[q];
    for (let j = 0; j < d; j++) { sums[j] += p.sums[j]; missing[j] += p.missing[j]; }
    for (let c = 0; c <= k; c++) {
      seg.rows[c] += p.segRows[c]; seg.value[c] += p.segValue[c]; seg.distance[c] += p.segDist[c];
      seg.distance2[c] += p.segDist2[c]; seg.measured[c] += p.segMeasured[c];
    }
  }
  return { hist, sums, missing, seg };
}

/** A snapshot the drift passes read: its rows, and a pass of one op over every shard (partials in shard order). */
export interface DriftSnapshot {
  readonly n: number;
  map<S, P>(op: ShardOp<S, P>, state: S): Promise<P[]>;
}

/** A snapshot held whole in one handle of `ex`. */
export function handleSnapshot(ex: Executor, h: Handle, signal?: AbortSignal): DriftSnapshot {
  return { n: h.n, map: (op, state) => ex.map(op, h, state, { signal }) };
}

export interface DriftInput {
  /**
   * The snapshots' features (same columns, float32) on `ex`, with per-row `labels` (and `value`) for pass 1 when
   * `scanned` does not hold it.
   */
  before: DriftSnapshot;
  after: DriftSnapshot;
  names: readonly string[];
  k: number;
  value: boolean;
  /** Centres in the loaded units (k x d) to measure each row's distance to its own centre; empty for none. */
  centres: Float64Array;
  ksMethod?: KsMethod;
  signal?: AbortSignal;
  /** Smaller limits force more refining passes (tests). */
  limits?: DriftLimits;
  /** A snapshot's pass 1 already made (while it was loaded): its partials, in shard order. */
  scanned?: { before?: ScanPartial[]; after?: ScanPartial[] };
  /** Ranges pass 1 also counts (`planGuide`); the `scanned` partials must have been made with the same guide. */
  guide?: RefineFeature[];
}

export interface DriftOutput {
  features: FeatureDrift[];
  before: SegmentTotals;
  after: SegmentTotals;
  /** Passes over the data the statistics took (1 scan, then refinements). */
  passes: number;
}

/**
 * Per-feature drift between two snapshots read on one executor: the exact two-sample KS statistic and p-value,
 * PSI at the baseline's deciles, means and missing counts, and per-segment totals. Every scan is a shard op merged
 * in shard order; memory stays at 2,048 counters per feature per shard in pass 1, and the key ranges refined after.
 */
export async function twoSampleDrift(ex: Executor, o: DriftInput): Promise<DriftOutput> {
  const d = o.names.length;
  const state = { k: o.k, value: o.value, centres: o.centres, ...(o.guide ? { guide: o.guide } : {}) };
  const pa = o.scanned?.before ?? await o.before.map(driftScanOp, state);
  const pb = o.scanned?.after ?? await o.after.map(driftScanOp, state);
  const A = mergeScan(pa, d, o.k), B = mergeScan(pb, d, o.k);
  const cells: (FeatureCells | undefined)[] = o.names.map((_, j) => {
    const n1 = o.before.n - A.missing[j], n2 = o.after.n - B.missing[j];
    if (n1 === 0 || n2 === 0) return undefined;
    return new FeatureCells(j, A.hist.subarray(j * TOP_BUCKETS, (j + 1) * TOP_BUCKETS), B.hist.subarray(j * TOP_BUCKETS, (j + 1) * TOP_BUCKETS), n1, n2, o.limits ?? LIMITS);
  });
  // the guide's counts (float32 shards make them; a pass 1 without them leaves the ranges to the refining passes)
  if (o.guide && pa.every((p) => p.guided) && pb.every((p) => p.guided)) {
    const asRefine = (parts: ScanPartial[]): RefinePartial[] => parts.map((p) => ({ counts: p.guided!, values: [], collected: [] }));
    const ra = asRefine(pa), rb = asRefine(pb);
    o.guide.forEach((spec, g) => cells[spec.j]?.applyGuide(spec, foldRefine(ra, g, spec.counters, 0).counts, foldRefine(rb, g, spec.counters, 0).counts));
  }
  let passes = 1;
  for (;;) {
    throwIfAborted(o.signal);
    const work = cells.flatMap((fc) => {
      if (!fc) return [];
      const { need, targets } = fc.needs();
      return need.length ? [{ fc, ...fc.request(need, targets) }] : [];
    });
    if (!work.length) break;
    const state2 = { features: work.map((w) => w.spec) };
    const fold = (parts: RefinePartial[]) => work.map((w, f) => foldRefine(parts, f, w.spec.counters, w.plan.filter((x) => x.bits === 0).length));
    const r1 = await o.before.map(driftRefineOp, state2);
    // the baseline's partials are folded on this thread at the other pass's first turn of the event loop, while the
    // pool's threads take that pass's shards (settled below; dropped when that pass fails first)
    let failed = false;
    const folding = yieldToEventLoop().then(() => (failed ? [] : fold(r1)));
    folding.catch(() => undefined);
    let r2: RefinePartial[];
    try {
      r2 = await o.after.map(driftRefineOp, state2);
    } catch (e) {
      failed = true;
      throw e;
    }
    const a = await folding, b = fold(r2);
    passes++;
    work.forEach((w, f) => w.fc.apply(w.plan, a[f].counts, b[f].counts, a[f].lists, b[f].lists));
  }
  const results = cells.map((fc) => fc?.result());
  // the p-values (a Smirnov sum of up to n terms each, for large samples) run on the executor's threads
  const tested = results.flatMap((r, j) => (r ? [j] : []));
  const items = new Float64Array(3 * tested.length);
  tested.forEach((j, f) => items.set([results[j]!.ks, o.before.n - A.missing[j], o.after.n - B.missing[j]], 3 * f));
  const ks = new Map<number, KsResult>();
  if (tested.length) {
    // one shard of 16 placeholder rows per feature: the p-values share out over the threads as the shards do
    const h = await ex.load({ columns: [new Float32Array(16 * tested.length)] }, { shardRows: 16, signal: o.signal });
    try {
      const state = { items, method: o.ksMethod ?? 'auto', shards: h.shards };
      for (const part of await ex.map(ksPValuesOp, h, state, { signal: o.signal })) {
        for (let q = 0; q < part.length; q += 4) ks.set(tested[part[q]], { statistic: part[q + 1], pvalue: part[q + 2], method: part[q + 3] ? 'exact' : 'asymp' });
      }
    } finally {
      await ex.release(h);
    }
  }
  const features = o.names.map((name, j): FeatureDrift => {
    const nBefore = o.before.n - A.missing[j], nAfter = o.after.n - B.missing[j];
    const base = {
      feature: name, nBefore, nAfter, missingBefore: A.missing[j], missingAfter: B.missing[j],
      meanBefore: nBefore ? A.sums[j] / nBefore : NaN, meanAfter: nAfter ? B.sums[j] / nAfter : NaN,
    };
    const r = results[j];
    if (!r) return { ...base, ks: null, psi: null };
    return { ...base, ks: ks.get(j)!, psi: r.psi };
  });
  return { features, before: A.seg, after: B.seg, passes };
}
