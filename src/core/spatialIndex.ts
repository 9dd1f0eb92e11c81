// Spatial indexes for radius and nearest-neighbour searches: a uniform grid (low dimensions) and a kd-tree.
// Both are built once by the caller as a permutation of the rows (points of a cell, or of a tree node, become
// contiguous) plus a small serialisable description; the rows are then loaded in that order, so a search only
// ever visits contiguous row ranges of the loaded matrix. Extra memory O(n).
import { SegkitError } from '../util/errors.js';

/** A grid of cubic cells of side `side`: rows sorted by the row-major key of their cell (stored as a column). */
export interface GridSpec {
  readonly kind: 'grid';
  readonly dims: number;
  readonly origin: Float64Array;
  readonly side: number;
  /** Cells a search reaches on each side of a point's cell. */
  readonly reach: number;
  /** Cells along each dimension. */
  readonly cells: Float64Array;
}

/**
 * A balanced kd-tree in implicit layout (node t has children 2t + 1 and 2t + 2, all leaves on the last level):
 * node t covers rows [start[t], end[t]) and their bounding box lo/hi (nodes x dims, row-major).
 */
export interface TreeSpec {
  readonly kind: 'tree';
  readonly dims: number;
  readonly nodes: number;
  /** First leaf node: nodes >= firstLeaf are leaves. */
  readonly firstLeaf: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

export type IndexSpec = GridSpec | TreeSpec;

export interface BuiltIndex<S extends IndexSpec = IndexSpec> {
  readonly spec: S;
  /** perm[r] is the original row of sorted row r. */
  readonly perm: Int32Array;
  /** Grid only: the cell key of each sorted row (an exact integer in float64). */
  readonly keys?: Float64Array;
}

/** Largest grid: cells per dimension and in all (keys stay exact integers, cell coordinates far from rounding). */
const MAX_CELLS_PER_DIM = 2 ** 26;
const MAX_CELLS = 2 ** 52;
/**
 * A grid of cells of the given side whose searches reach `reach` cells around a point's cell, or null when the
 * data's extent would need too many cells (then use a kd-tree). Sorting is a stable LSD radix sort: O(n).
 */
export function buildGrid(cols: readonly Float64Array[], side: number, reach: number): BuiltIndex<GridSpec> | null {
  const dims = cols.length, n = cols[0].length;
  if (!(side > 0) || !Number.isFinite(side)) return null;
  const origin = new Float64Array(dims), cells = new Float64Array(dims);
  let total = 1;
  for (let j = 0; j < dims; j++) {
    let lo = Infinity, hi = -Infinity;
    const c = cols[j];
    for (let i = 0; i < n; i++) { const v = c[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    origin[j] = lo;
    const m = Math.floor((hi - lo) / side) + 1;
    if (!(m <= MAX_CELLS_PER_DIM)) return null;
    cells[j] = m;
    total *= m;
    if (total > MAX_CELLS) return null;
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let key = 0;
    for (let j = 0; j < dims; j++) {
      const c = Math.min(cells[j] - 1, Math.floor((cols[j][i] - origin[j]) / side));
      key = key * cells[j] + c;
    }
    keys[i] = key;
  }
  const perm = radixSortByKey(keys, total);
  const sortedKeys = new Float64Array(n);
  for (let r = 0; r < n; r++) sortedKeys[r] = keys[perm[r]];
  return { spec: { kind: 'grid', dims, origin, side, reach, cells }, perm, keys: sortedKeys };
}

/** The stable order of rows by integer keys in [0, total): LSD radix sort, 16 bits per pass. */
function radixSortByKey(keys: Float64Array, total: number): Int32Array {
  const n = keys.length;
  let perm = Int32Array.from({ length: n }, (_, i) => i);
  let next = new Int32Array(n);
  const count = new Int32Array(65537);
  // keys below 2^32 (the usual case) take their digits by bit operations
  const small = total <= 2 ** 32 ? Uint32Array.from(keys) : null;
  const digit = (i: number, pass: number): number => (small ? (small[i] >>> (16 * pass)) & 0xffff : Math.floor(keys[i] / 65536 ** pass) % 65536);
  for (let pass = 0; 65536 ** pass < total; pass++) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[digit(i, pass) + 1]++;
    for (let b = 0; b < 65536; b++) count[b + 1] += count[b];
    for (let r = 0; r < n; r++) {
      const i = perm[r];
      next[count[digit(i, pass)]++] = i;
    }
    [perm, next] = [next, perm];
  }
  return perm;
}

/** Levels of a tree whose leaves hold at most about leafSize rows (scikit-learn's rule). */
function treeLevels(n: number, leafSize: number): number {
  return 1 + Math.max(0, Math.floor(Math.log2(Math.max(1, (n - 1) / leafSize))));
}

/**
 * A kd-tree: each node splits its rows at the middle position along its widest dimension (quickselect), as
 * scikit-learn's KDTree does. O(n log n) time, O(n) memory.
 */
export function buildKdTree(cols: readonly Float64Array[], leafSize = 32): BuiltIndex<TreeSpec> {
  const dims = cols.length, n = cols[0].length;
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', 'there are no rows to index');
  const levels = treeLevels(n, leafSize);
  const nodes = 2 ** levels - 1, firstLeaf = 2 ** (levels - 1) - 1;
  const start = new Int32Array(nodes), end = new Int32Array(nodes);
  const lo = new Float64Array(nodes * dims), hi = new Float64Array(nodes * dims);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  start[0] = 0;
  end[0] = n;
  for (let t = 0; t < nodes; t++) {
    const a = start[t], b = end[t];
    // bounding box
    for (let j = 0; j < dims; j++) {
      let l = Infinity, h = -Infinity;
      const c = cols[j];
      for (let r = a; r < b; r++) { const v = c[perm[r]]; if (v < l) l = v; if (v > h) h = v; }
      lo[t * dims + j] = l;
      hi[t * dims + j] = h;
    }
    if (t >= firstLeaf) continue;
    let widest = 0, spread = -1;
    for (let j = 0; j < dims; j++) {
      const s = hi[t * dims + j] - lo[t * dims + j];
      if (s > spread) { spread = s; widest = j; }
    }
    const mid = a + ((b - a) >> 1);
    if (b - a > 1) select(perm, cols[widest], a, b - 1, mid);
    start[2 * t + 1] = a; end[2 * t + 1] = mid;
    start[2 * t + 2] = mid; end[2 * t + 2] = b;
  }
  return { spec: { kind: 'tree', dims, nodes, firstLeaf, start, end, lo, hi }, perm };
}

/** Reorders perm[lo..hi] so position k holds the row with the k-th smallest value (Hoare partition, median-of-three pivot). */
function select(perm: Int32Array, v: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const m = lo + ((hi - lo) >> 1);
    // median of three as pivot value
    const a = v[perm[lo]], b = v[perm[m]], c = v[perm[hi]];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let i = lo, j = hi;
    while (i <= j) {
      while (v[perm[i]] < pivot) i++;
      while (v[perm[j]] > pivot) j--;
      if (i <= j) {
        const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Squared distance from a point to a node's box (0 inside); rounding keeps it at or below every row's own squared distance. */
export function boxMinDist2(spec: TreeSpec, t: number, p: Float64Array): number {
  let s = 0;
  const o = t * spec.dims;
  for (let j = 0; j < spec.dims; j++) {
    const x = p[j], l = spec.lo[o + j], h = spec.hi[o + j];
    const dlt = x < l ? l - x : x > h ? x - h : 0;
    s += dlt * dlt;
  }
  return s;
}

/**
 * Candidate row ranges for radius searches, seen from a shard: for the grid, the rows of the (2 reach + 1)^dims
 * cells around a point's cell (contiguous in key order along the last dimension: one range per combination of the
 * other dimensions); for the tree, the leaves whose box comes within the radius.
 */
export class RangeFinder {
  /** [start, end) pairs of the last search. */
  readonly out: Int32Array;
  private readonly stack: Int32Array;
  private readonly p: Float64Array;
  private readonly cell: Float64Array;
  private readonly n: number;
  private readonly cursors: Int32Array;
  private lastKey = -1;

  constructor(readonly spec: IndexSpec, readonly cols: readonly Float64Array[], readonly keys?: Float64Array) {
    this.n = cols[0].length;
    const dims = spec.dims;
    this.p = new Float64Array(dims);
    this.cell = new Float64Array(dims);
    if (spec.kind === 'grid') {
      this.out = new Int32Array(2 * (2 * spec.reach + 1) ** Math.max(0, dims - 1));
      this.cursors = new Int32Array(this.out.length);
      this.stack = new Int32Array(0);
    } else {
      this.out = new Int32Array(2 * (spec.nodes - spec.firstLeaf));
      this.cursors = new Int32Array(0);
      this.stack = new Int32Array(64);
    }
  }

  /**
   * Ranges around the cell of the given key (grid); returns the number of ranges. Calls with ascending keys (a
   * sweep) move per-range cursors forward by galloping search instead of searching all rows again.
   */
  cellRanges(key: number): number {
    const g = this.spec as GridSpec;
    const c = this.cell;
    let k = key;
    for (let j = g.dims - 1; j >= 0; j--) { c[j] = k % g.cells[j]; k = (k - c[j]) / g.cells[j]; }
    if (!(key >= this.lastKey)) this.cursors.fill(0);
    this.lastKey = key;
    return this.rangesAround(c, this.cursors);
  }

  /** Ranges around the cell holding point p (grid; p may lie outside the grid); returns the number of ranges. */
  pointRanges(p: ArrayLike<number>): number {
    const g = this.spec as GridSpec;
    for (let j = 0; j < g.dims; j++) this.cell[j] = Math.floor((p[j] - g.origin[j]) / g.side);
    return this.rangesAround(this.cell);
  }

  private rangesAround(c: Float64Array, cursors?: Int32Array): number {
    const g = this.spec as GridSpec;
    const keys = this.keys!;
    const last = g.dims - 1, reach = g.reach, width = 2 * reach + 1;
    const zLo = Math.max(0, c[last] - reach), zHi = Math.min(g.cells[last] - 1, c[last] + reach);
    if (zLo > zHi) return 0;
    let m = 0;
    const combos = width ** last;
    for (let q = 0; q < combos; q++) {
      let prefix = 0, ok = true, r = q;
      for (let j = 0; j < last; j++) {
        const cj = c[j] + (r % width) - reach;
        r = (r - (r % width)) / width;
        if (cj < 0 || cj >= g.cells[j]) { ok = false; break; }
        prefix = prefix * g.cells[j] + cj;
      }
      if (!ok) continue;
      const kLo = prefix * g.cells[last] + zLo, kHi = prefix * g.cells[last] + zHi;
      let a: number, b: number;
      if (cursors) {
        a = gallop(keys, kLo, cursors[2 * q], this.n);
        b = gallop(keys, kHi + 1, Math.max(a, cursors[2 * q + 1]), this.n);
        cursors[2 * q] = a;
        cursors[2 * q + 1] = b;
      } else {
        a = lowerBound(keys, kLo, 0, this.n);
        b = lowerBound(keys, kHi + 1, a, this.n);
      }
      if (b > a) { this.out[2 * m] = a; this.out[2 * m + 1] = b; m++; }
    }
    return m;
  }

  /** Leaf ranges of the tree whose box comes within sqrt(r2) of row i (index coordinates); returns the number of ranges. */
  treeRanges(i: number, r2: number): number {
    const t = this.spec as TreeSpec;
    const p = this.p;
    for (let j = 0; j < t.dims; j++) p[j] = this.cols[j][i];
    return this.treeRangesAt(p, r2);
  }

  /** Leaf ranges whose box comes within sqrt(r2) of point p. */
  treeRangesAt(p: Float64Array, r2: number): number {
    const t = this.spec as TreeSpec;
    const stack = this.stack;
    let top = 0, m = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      if (boxMinDist2(t, node, p) > r2) continue;
      if (node >= t.firstLeaf) {
        const a = t.start[node], b = t.end[node];
        if (b <= a) continue;
        // leaves are visited left to right: merge touching ranges
        if (m > 0 && this.out[2 * m - 1] === a) this.out[2 * m - 1] = b;
        else { this.out[2 * m] = a; this.out[2 * m + 1] = b; m++; }
      } else {
        stack[top++] = 2 * node + 2;
        stack[top++] = 2 * node + 1;
      }
    }
    return m;
  }
}

/** First position in sorted a[from, to) whose value is >= v, searched outward from `from` (cheap when it is near). */
function gallop(a: Float64Array, v: number, from: number, to: number): number {
  if (from >= to || a[from] >= v) return from;
  let step = 1, lo = from;
  while (lo + step < to && a[lo + step] < v) { lo += step; step *= 2; }
  return lowerBound(a, v, lo + 1, Math.min(to, lo + step + 1));
}

/** First position in sorted a[from, to) whose value is >= v. */
export function lowerBound(a: Float64Array, v: number, from: number, to: number): number {
  let lo = from, hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
