// Finishing a tree node on one thread from its rows: the same split search, stopping rules and feature draws as
// the level passes, so a subtree is the same wherever it is grown (on the caller, or in a shard op on a worker).
import { SegkitError } from '../util/errors.js';
import { hashInts } from '../util/hash.js';
import { EPSILON, scanFeature, type Split, type SplitParams } from './treeSplit.js';
import { gini, type TreeNodes } from './tree.js';

export interface BinInfo {
  readonly nBins: Int32Array;
  readonly edges: readonly Float64Array[];
  /** Per feature: the value of each bin when bins are the distinct values themselves, else null. */
  readonly binValue: readonly (Float64Array | null)[];
}

export interface GrowParams extends SplitParams {
  readonly d: number;
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  /** Features scored per node (d: all, in order; fewer: a random subset per node, drawn until that many vary). */
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  /** Nodes with at most this many (weighted) rows are finished on the caller; default by bytes. */
  readonly collectRows?: number;
  /** Histogram entries per pass and shard, at most (more nodes wait for the next pass). */
  readonly histBudget?: number;
}

/** The node arrays of a subtree grown elsewhere: `size` nodes from `base`, children numbered within the subtree. */
export interface SubtreeNodes {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  count: Float64Array;
}

/** A tree under construction: parallel typed arrays (grown by doubling), nodes in the order they were made. */
export class Build {
  size = 0;
  feature = new Int32Array(64);
  threshold = new Float64Array(64);
  left = new Int32Array(64);
  right = new Int32Array(64);
  value: Float64Array;
  count = new Float64Array(64);
  /** The whole tree, when it was grown and finished elsewhere. */
  private whole: TreeNodes | null = null;
  constructor(readonly C: number) {
    this.value = new Float64Array(64 * C);
  }

  /** Takes a whole tree grown and finished elsewhere (a build that holds no node yet). */
  adopt(t: TreeNodes): void {
    if (this.size !== 0) throw new SegkitError('E_EXECUTOR', `a finished tree was returned for a tree that already has ${this.size} nodes`);
    this.whole = t;
  }

  private reserve(need: number): void {
    if (need <= this.feature.length) return;
    let cap = this.feature.length * 2;
    while (cap < need) cap *= 2;
    const grow = <A extends Int32Array | Float64Array>(a: A, per = 1): A => {
      const b = new (a.constructor as new (n: number) => A)(cap * per);
      b.set(a);
      return b;
    };
    this.feature = grow(this.feature);
    this.threshold = grow(this.threshold);
    this.left = grow(this.left);
    this.right = grow(this.right);
    this.value = grow(this.value, this.C);
    this.count = grow(this.count);
  }

  add(totals: Float64Array, cw: Float64Array): number {
    const id = this.size;
    this.reserve(id + 1);
    this.size++;
    this.feature[id] = -1;
    this.threshold[id] = Number.NaN;
    this.left[id] = -1;
    this.right[id] = -1;
    let n = 0;
    for (let c = 0; c < this.C; c++) {
      this.value[id * this.C + c] = totals[c] * cw[c];
      n += totals[c];
    }
    this.count[id] = n;
    return id;
  }

  /**
   * Adds a subtree grown elsewhere: its node 0 is this tree's `node` when `node` >= 0 (made already), else a new
   * node; its other nodes are appended in order.
   */
  graft(src: SubtreeNodes, base: number, size: number, node: number): void {
    const C = this.C, skip = node >= 0 ? 1 : 0, at = this.size - skip;
    this.reserve(at + size);
    this.size = at + size;
    this.value.set(src.value.subarray((base + skip) * C, (base + size) * C), (at + skip) * C);
    this.count.set(src.count.subarray(base + skip, base + size), at + skip);
    for (let v = 0; v < size; v++) {
      const to = v < skip ? node : at + v, f = src.feature[base + v];
      if (f >= 0) {
        const l = src.left[base + v], r = src.right[base + v];
        this.feature[to] = f;
        this.threshold[to] = src.threshold[base + v];
        this.left[to] = l < skip ? node : at + l;
        this.right[to] = r < skip ? node : at + r;
      } else if (v >= skip) {
        this.feature[to] = -1;
        this.threshold[to] = Number.NaN;
        this.left[to] = -1;
        this.right[to] = -1;
      }
    }
  }

  /** The finished tree, renumbered in depth-first preorder (left first), as scikit-learn numbers its nodes. */
  finish(): TreeNodes {
    if (this.whole) return this.whole;
    const size = this.size, C = this.C;
    const order = new Int32Array(size);
    const stack = new Int32Array(size + 1);
    let top = 0, n = 0;
    stack[top++] = 0;
    while (top > 0) {
      const v = stack[--top];
      order[n++] = v;
      if (this.feature[v] >= 0) {
        stack[top++] = this.right[v];
        stack[top++] = this.left[v];
      }
    }
    const id = new Int32Array(size);
    for (let i = 0; i < n; i++) id[order[i]] = i;
    const t = {
      feature: new Int32Array(n), threshold: new Float64Array(n), left: new Int32Array(n), right: new Int32Array(n),
      value: new Float64Array(n * C), count: new Float64Array(n), impurity: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      const v = order[i], split = this.feature[v] >= 0;
      t.feature[i] = this.feature[v];
      t.threshold[i] = this.threshold[v];
      t.left[i] = split ? id[this.left[v]] : -1;
      t.right[i] = split ? id[this.right[v]] : -1;
      for (let c = 0; c < C; c++) t.value[i * C + c] = this.value[v * C + c];
      t.count[i] = this.count[v];
      t.impurity[i] = gini(t.value, i * C, C);
    }
    return t;
  }
}

export function identity(d: number): Int32Array {
  return Int32Array.from({ length: d }, (_, j) => j);
}

/**
 * The order a node visits features in: all in order for a plain tree; in a forest a permutation drawn lazily
 * (Fisher-Yates, one counter-based draw per position from the node's seed), so a node that needs three features
 * draws three.
 */
export class FeatureOrder {
  private perm: Int32Array | null = null;
  private drawn = 0;
  /** `scratch` (length d) is reset and used for the permutation instead of a new array. */
  constructor(readonly length: number, private readonly seed: number | null, scratch?: Int32Array) {
    if (scratch && seed !== null) {
      for (let j = 0; j < length; j++) scratch[j] = j;
      this.perm = scratch;
    }
  }
  at(t: number): number {
    if (this.seed === null) return t;
    const d = this.length;
    const perm = (this.perm ??= identity(d));
    while (this.drawn <= t) {
      const i = this.drawn++;
      const j = i + (hashInts(this.seed, i, 5) % (d - i));
      const x = perm[i]; perm[i] = perm[j]; perm[j] = x;
    }
    return perm[t];
  }
}

export function featureOrder(p: GrowParams, treeSeed: number, key: number, scratch?: Int32Array): FeatureOrder {
  return new FeatureOrder(p.d, p.maxFeatures >= p.d ? null : hashInts(treeSeed, key, 7), scratch);
}

export const childKey = (key: number, side: 1 | 2) => hashInts(key, side, 3);

/**
 * Whether a node with these raw class totals and `rows` distinct rows stops as a leaf before any split is tried
 * (scikit-learn's order): minSamplesSplit and minSamplesLeaf count rows, the impurity weights them.
 */
export function stopsAsLeaf(p: GrowParams, totals: Float64Array, depth: number, rows: number): boolean {
  // the Gini impurity of the class-weighted totals, summed as gini() sums a node's value, without allocating
  const cw = p.classWeight;
  let w = 0, sq = 0;
  for (let c = 0; c < totals.length; c++) {
    const v = totals[c] * cw[c];
    w += v;
    sq += v * v;
  }
  const impurity = w > 0 ? 1 - sq / (w * w) : 0;
  return depth >= p.maxDepth || rows < p.minSamplesSplit || rows < 2 * p.minSamplesLeaf || impurity <= EPSILON;
}

/** The classes with rows in a node: the only ones a scan needs to add up (a zero adds nothing, exactly). */
export function presentClasses(totals: Float64Array): Int32Array {
  let m = 0;
  for (let c = 0; c < totals.length; c++) if (totals[c] > 0) m++;
  const out = new Int32Array(m);
  for (let c = 0, q = 0; c < totals.length; c++) if (totals[c] > 0) out[q++] = c;
  return out;
}

/** What finishing a subtree needs: the tree's parameters and bins, where nodes go, the tree's seed. */
export interface LocalCtx {
  readonly p: GrowParams;
  readonly bins: BinInfo;
  readonly build: Build;
  readonly seed: number;
  readonly left: Float64Array;
}

/** The node a subtree starts at: its depth, path key, node id (-1: make it) and raw class totals (null: count). */
export interface LocalJob {
  readonly depth: number;
  readonly key: number;
  readonly node: number;
  readonly totals: Float64Array | null;
}

export function threshold(bins: BinInfo, s: Split): number {
  const v = bins.binValue[s.feature];
  if (v) {
    // scikit-learn's midpoint, kept off the right value
    const a = v[s.binLeft], b = v[s.binRight];
    const t = a / 2 + b / 2;
    return t === b || !Number.isFinite(t) ? a : t;
  }
  return bins.edges[s.feature][s.binLeft];
}

/**
 * Rows sent back for one node: their bin words row-major (binWords(d) int32 per row, feature f's bin in byte f & 3
 * of word f >> 2, little-endian, as the per-row buffer `bins`), class codes and weights.
 */
export interface Rows {
  words: Int32Array;
  y: Int32Array;
  w: Int32Array;
}

/** A job's rows as its subtree is grown from them: bins column-major (feature f of row i at f * rows + i). */
export interface LocalRows {
  bins: Uint8Array;
  y: Int32Array;
  w: Int32Array;
}

/**
 * Finishes a node and its whole subtree from its rows, depth first, with the same search, stopping rules and
 * feature draws as the passes. Rows are partitioned in place, as scikit-learn's splitter does; one feature's bins
 * are scanned at a time, so a scan reads one small column.
 */
export function growLocal(lc: LocalCtx, w: LocalJob, rows: LocalRows): void {
  const { C, d } = lc.p;
  const build = lc.build;
  const m = rows.y.length;
  const idx = Int32Array.from({ length: m }, (_, i) => i);
  const stack: { lo: number; hi: number; depth: number; key: number; node: number; totals: Float64Array | null }[] = [
    { lo: 0, hi: idx.length, depth: w.depth, key: w.key, node: w.node, totals: w.totals },
  ];
  // per bin and class, the node's weight on the feature being scanned: read in place by the scan, and cleared after
  // it row by row (a small node touches few of its entries)
  const binCount = new Float64Array(256 * C);
  // with bootstrap weights other than 1, each bin's distinct rows too (minSamplesLeaf counts rows; at 1 they change nothing)
  const weighted = lc.p.minSamplesLeaf > 1 && rows.w.some((v) => v !== 1);
  const binRows = new Float64Array(256);
  const touched = new Int32Array(256);
  const mask = new Int32Array(8);
  const permScratch = new Int32Array(d);
  const want = lc.p.maxFeatures >= d ? d : lc.p.maxFeatures;
  // classes and weights in node order: they move with idx when a node is partitioned, so scans read them in order
  const { bins } = rows;
  const y = rows.y.slice(), wt = rows.w.slice();
  while (stack.length) {
    const job = stack.pop()!;
    const { lo, hi } = job;
    let totals = job.totals;
    if (!totals) {
      totals = new Float64Array(C);
      for (let q = lo; q < hi; q++) totals[y[q]] += wt[q];
    }
    const node = job.node >= 0 ? job.node : build.add(totals, lc.p.classWeight);
    if (stopsAsLeaf(lc.p, totals, job.depth, hi - lo)) continue;
    const order = featureOrder(lc.p, lc.seed, job.key, permScratch);
    const present = presentClasses(totals);
    let best: Split | null = null;
    for (let at = 0, varying = 0; at < d && varying < want; at++) {
      const f = order.at(at);
      // class counts per bin of this feature over the node's rows, then the bins in ascending order
      const base = f * m, size = hi - lo, np = present.length;
      // count, marking each bin seen in a 256-bit mask; then the marked bins in ascending order, by their set bits
      for (let q = lo; q < hi; q++) {
        const b = bins[base + idx[q]];
        mask[b >> 5] |= 1 << (b & 31);
        binCount[b * C + y[q]] += wt[q];
      }
      if (weighted) for (let q = lo; q < hi; q++) binRows[bins[base + idx[q]]]++;
      let nt = 0;
      for (let g = 0; g < 8; g++) {
        let v = mask[g];
        mask[g] = 0;
        while (v !== 0) {
          touched[nt++] = (g << 5) + 31 - Math.clz32(v & -v);
          v &= v - 1;
        }
      }
      if (nt >= 2) {
        varying++;
        best = scanFeature(lc.p, f, touched, binCount, nt, totals, best, lc.left, present, true, weighted ? binRows : undefined, size);
      }
      if (weighted) for (let q = 0; q < nt; q++) binRows[touched[q]] = 0;
      // cleared by bins or by rows, whichever touches fewer entries
      if (nt * np < size) {
        for (let q = 0; q < nt; q++) for (let t = 0; t < np; t++) binCount[touched[q] * C + present[t]] = 0;
      } else {
        for (let q = lo; q < hi; q++) binCount[bins[base + idx[q]] * C + y[q]] = 0;
      }
    }
    if (!best) continue;
    const split = applySplit(lc.build, lc.p, lc.bins, node, totals, hi - lo, best);
    // partition in place: rows going left first
    let a = lo, b = hi - 1;
    const base = best.feature * m, thr = best.binLeft;
    while (a <= b) {
      if (bins[base + idx[a]] <= thr) a++;
      else {
        const t = idx[a]; idx[a] = idx[b]; idx[b] = t;
        const u = y[a]; y[a] = y[b]; y[b] = u;
        const v = wt[a]; wt[a] = wt[b]; wt[b] = v;
        b--;
      }
    }
    // right pushed first so the left subtree is finished first
    stack.push({ lo: a, hi, depth: job.depth + 1, key: childKey(job.key, 2), node: split.right, totals: split.rightTotals });
    stack.push({ lo, hi: a, depth: job.depth + 1, key: childKey(job.key, 1), node: split.left, totals: split.leftTotals });
  }
}

/** Makes the node (of `rows` distinct rows) a split with two new child nodes; returns them with their raw class totals and rows. */
export function applySplit(
  build: Build, p: GrowParams, bins: BinInfo, node: number, totals: Float64Array, rows: number, s: Split,
): { left: number; right: number; leftTotals: Float64Array; rightTotals: Float64Array; leftRows: number; rightRows: number } {
  const C = p.C;
  const leftTotals = s.left;
  const rightTotals = new Float64Array(C);
  for (let c = 0; c < C; c++) rightTotals[c] = totals[c] - leftTotals[c];
  const left = build.add(leftTotals, p.classWeight);
  const right = build.add(rightTotals, p.classWeight);
  build.feature[node] = s.feature;
  build.threshold[node] = threshold(bins, s);
  build.left[node] = left;
  build.right[node] = right;
  return { left, right, leftTotals, rightTotals, leftRows: s.leftRows, rightRows: rows - s.leftRows };
}

