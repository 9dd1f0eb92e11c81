// The shard ops of DBSCAN over a replicated float64 handle whose rows are in spatial-index order: count each row's
// neighbourhood (core points), link core points within eps (a spanning forest of the shard's core-core edges),
// and give each border point its cluster. No neighbourhood is ever stored: every pass searches again, O(n) memory.
import { allColumn, type Shard } from '../kernels/shard.js';
import { defineOp } from '../engine/shardOp.js';
import { RangeFinder, type IndexSpec } from './spatialIndex.js';
import { UnionFind } from './unionFind.js';
import { sin } from '../util/detMath.js';
import { lostBits } from '../util/compensatedSum.js';

/** Where things are in the loaded matrix and how "within eps" is decided. */
export interface DbscanGeometry {
  readonly index: IndexSpec;
  /** Index coordinates are columns 0..dims-1 (the features; unit vectors for haversine). */
  readonly dims: number;
  readonly metric: 'euclidean' | 'haversine';
  /** Squared search radius in index coordinates (eps^2; for haversine, the chord of eps with slack). */
  readonly r2: number;
  /** The exact test: squared euclidean distance <= limit (eps^2), or haversine's sin^2 form <= limit (sin^2(eps/2)). */
  readonly limit: number;
  /** Haversine: columns of latitude and longitude in radians and of cos(latitude); else -1. */
  readonly latCol: number;
  readonly lonCol: number;
  readonly cosCol: number;
  /** Grid key column, or -1 for the kd-tree. */
  readonly keyCol: number;
  /** Sample-weight column, or -1 (every row weighs 1). */
  readonly weightCol: number;
  /** Whether a weight is negative: a neighbourhood's weight can then fall, so every neighbour is counted. */
  readonly signed?: boolean;
  readonly minSamples: number;
}

/** A search context on one holder: the columns of every row and the exact "within eps" test. */
export class EpsSearch {
  readonly finder: RangeFinder;
  readonly x: Float64Array[];
  private readonly lat?: Float64Array;
  private readonly lon?: Float64Array;
  private readonly cos?: Float64Array;
  readonly keys?: Float64Array;
  readonly w?: Float64Array;

  constructor(readonly g: DbscanGeometry, columns: (j: number) => Float64Array) {
    this.x = Array.from({ length: g.dims }, (_, j) => columns(j));
    if (g.metric === 'haversine') {
      this.lat = columns(g.latCol);
      this.lon = columns(g.lonCol);
      this.cos = columns(g.cosCol);
    }
    if (g.keyCol >= 0) this.keys = columns(g.keyCol);
    if (g.weightCol >= 0) this.w = columns(g.weightCol);
    this.finder = new RangeFinder(g.index, this.x, this.keys);
    this.within = withinTest(g, this.x, this.lat, this.lon, this.cos);
  }

  /** Candidate ranges (in finder.out) around row i; for the grid they depend only on i's cell. */
  ranges(i: number): number {
    return this.g.index.kind === 'grid' ? this.finder.cellRanges(this.keys![i]) : this.finder.treeRanges(i, this.g.r2);
  }

  /** Rows i and q are within eps: float64, in scikit-learn's own arithmetic (kd-tree rdist; ball-tree haversine). */
  readonly within: (i: number, q: number) => boolean;
}

/** The exact test, specialised by dimension so the hot loops stay monomorphic. */
function withinTest(g: DbscanGeometry, x: Float64Array[], lat?: Float64Array, lon?: Float64Array, cos?: Float64Array): (i: number, q: number) => boolean {
  const lim = g.limit;
  if (g.metric === 'haversine') {
    const la = lat!, lo = lon!, co = cos!;
    return (i, q) => {
      const s0 = sin(0.5 * (la[i] - la[q]));
      const s1 = sin(0.5 * (lo[i] - lo[q]));
      return s0 * s0 + co[i] * co[q] * s1 * s1 <= lim;
    };
  }
  // the sum runs from the first feature to the last, as scikit-learn's rdist does
  if (x.length === 1) {
    const a = x[0];
    return (i, q) => { const t = a[i] - a[q]; return t * t <= lim; };
  }
  if (x.length === 2) {
    const a = x[0], b = x[1];
    return (i, q) => { const t = a[i] - a[q], u = b[i] - b[q]; return t * t + u * u <= lim; };
  }
  if (x.length === 3) {
    const a = x[0], b = x[1], c = x[2];
    return (i, q) => { const t = a[i] - a[q], u = b[i] - b[q], v = c[i] - c[q]; return t * t + u * u + v * v <= lim; };
  }
  const d = x.length;
  return (i, q) => {
    let s = 0;
    for (let j = 0; j < d; j++) { const t = x[j][i] - x[j][q]; s += t * t; }
    return s <= lim;
  };
}

const f64 = (a: Float32Array | Float64Array): Float64Array => a as Float64Array;

function searchOf(sh: Shard, g: DbscanGeometry): EpsSearch {
  return new EpsSearch(g, (j) => f64(allColumn(sh, j)));
}

/**
 * Adds a weight to a compensated sum [sum, error] (Neumaier) and returns the sum rounded once: a
 * neighbourhood's weight is its exact sum rounded to float64 (but for errors of order n 2^-106), whatever the order
 * of its rows. A running sum makes 0.7 + 0.1 + 0.2 0.9999999999999999, and ten weights of 0.1 too; numpy's pairwise
 * sum, scikit-learn's, makes 1.
 */
function addWeight(s: Float64Array, x: number): number {
  const a = s[0], t = a + x;
  s[1] += lostBits(a, x, t);
  s[0] = t;
  return t + s[1];
}

/** Pass 1: 1 for each row of the shard whose weighted neighbourhood (itself included) reaches minSamples. */
export const dbscanCountOp = defineOp<DbscanGeometry, Uint8Array>({
  name: 'dbscan.count',
  run(sh, g) {
    const s = searchOf(sh, g);
    const out = new Uint8Array(sh.rows);
    const w = s.w, need = g.minSamples, within = s.within, keys = s.keys, signed = g.signed;
    const rr = s.finder.out;
    const end = sh.start + sh.rows;
    const sum = new Float64Array(2);
    let i = sh.start;
    while (i < end) {
      // one cell (grid) or one row (tree) at a time
      let cellEnd = i + 1, cellStart = i, base = 0, m: number;
      sum[0] = sum[1] = 0;
      if (keys) {
        while (cellEnd < sh.n && keys[cellEnd] === keys[i]) cellEnd++;
        while (cellStart > 0 && keys[cellStart - 1] === keys[i]) cellStart--;
        // a cell's rows are all within eps of each other: with minSamples of weight, all are core
        for (let q = cellStart; q < cellEnd && (base < need || signed); q++) base = w ? addWeight(sum, w[q]) : base + 1;
        if (base >= need && !signed) {
          out.fill(1, i - sh.start, Math.min(cellEnd, end) - sh.start);
          i = cellEnd;
          continue;
        }
        m = s.ranges(i);
        // the range holding the cell goes first: its rows are the nearest
        for (let r = 1; r < m; r++) {
          if (rr[2 * r] <= cellStart && cellStart < rr[2 * r + 1]) {
            const a = rr[0], b = rr[1];
            rr[0] = rr[2 * r]; rr[1] = rr[2 * r + 1];
            rr[2 * r] = a; rr[2 * r + 1] = b;
            break;
          }
        }
      } else {
        m = s.ranges(i);
        cellStart = cellEnd = -1;
      }
      const stop = Math.min(keys ? cellEnd : i + 1, end);
      const baseHi = sum[0], baseLo = sum[1];
      for (; i < stop; i++) {
        // the rows of i's own cell are counted without a test
        let count = base;
        sum[0] = baseHi;
        sum[1] = baseLo;
        found: for (let r = 0; r < m; r++) {
          for (let q = rr[2 * r]; q < rr[2 * r + 1]; q++) {
            if (q === cellStart) { q = cellEnd - 1; continue; }
            if (within(i, q)) {
              count = w ? addWeight(sum, w[q]) : count + 1;
              // without negative weights the count can only grow
              if (count >= need && !signed) break found;
            }
          }
        }
        out[i - sh.start] = count >= need ? 1 : 0;
      }
    }
    return out;
  },
}, import.meta.url);

export interface LinkState extends DbscanGeometry {
  /** Core flag of every row (index order). */
  readonly core: Uint8Array;
}

/**
 * Pass 2: a spanning forest of the core-core edges within eps, as (row, row) pairs; a union-find skips pairs
 * already joined. On the grid, the core rows of one cell are joined by the caller (they are all within eps), so
 * the op links cells: for each cell of the shard and each later cell in reach, one pair within eps suffices.
 * On the kd-tree, each core row of the shard is linked to the core rows after it.
 */
export const dbscanLinkOp = defineOp<LinkState, Int32Array>({
  name: 'dbscan.link',
  run(sh, g) {
    const s = searchOf(sh, g);
    const core = g.core, within = s.within, keys = s.keys;
    const edges = new EdgeList();
    const rr = s.finder.out;
    const end = sh.start + sh.rows;
    if (keys) {
      // cells that start in this shard
      let i = sh.start;
      if (i > 0 && keys[i - 1] === keys[i]) while (i < end && keys[i] === keys[i - 1]) i++;
      if (i >= end) return edges.done();
      // every row this shard links lies between the reach of its first cell and that of its last
      let lo = sh.n, hi = 0;
      for (let r = 0, m = s.finder.cellRanges(keys[i]); r < m; r++) lo = Math.min(lo, rr[2 * r]);
      for (let r = 0, m = s.finder.cellRanges(keys[end - 1]); r < m; r++) hi = Math.max(hi, rr[2 * r + 1]);
      lo = Math.min(lo, i);
      hi = Math.max(hi, end);
      const win = new UnionFind(hi - lo);
      const uf = { find: (x: number) => win.find(x - lo), union: (a: number, b: number) => win.union(a - lo, b - lo) };
      while (i < end) {
        let cellEnd = i + 1;
        while (cellEnd < sh.n && keys[cellEnd] === keys[i]) cellEnd++;
        let rep = -1;
        for (let q = i; q < cellEnd; q++) if (core[q]) { rep = q; break; }
        if (rep >= 0) {
          const m = s.ranges(i);
          for (let r = 0; r < m; r++) {
            let a = Math.max(rr[2 * r], cellEnd);
            const b = rr[2 * r + 1];
            while (a < b) {
              let e = a + 1;
              while (e < b && keys[e] === keys[a]) e++;
              // cell [a, e): its first core row stands for it
              let rep2 = -1;
              for (let q = a; q < e; q++) if (core[q]) { rep2 = q; break; }
              if (rep2 >= 0 && uf.find(rep) !== uf.find(rep2)) {
                linked: for (let p = rep; p < cellEnd; p++) {
                  if (!core[p]) continue;
                  for (let q = rep2; q < e; q++) {
                    if (core[q] && within(p, q)) {
                      uf.union(rep, rep2);
                      edges.push(rep, rep2);
                      break linked;
                    }
                  }
                }
              }
              a = e;
            }
          }
        }
        i = cellEnd;
      }
      return edges.done();
    }
    const uf = new UnionFind(sh.n);
    for (let i = sh.start; i < end; i++) {
      if (!core[i]) continue;
      const m = s.ranges(i);
      let ri = uf.find(i);
      for (let r = 0; r < m; r++) {
        for (let q = Math.max(i + 1, rr[2 * r]); q < rr[2 * r + 1]; q++) {
          if (!core[q] || !within(i, q)) continue;
          const rq = uf.find(q);
          if (rq === ri) continue;
          uf.union(ri, rq);
          ri = Math.min(ri, rq);
          edges.push(i, q);
        }
      }
    }
    return edges.done();
  },
}, import.meta.url);

/** A growable list of int32 pairs. */
class EdgeList {
  private a = new Int32Array(1024);
  private len = 0;
  push(x: number, y: number): void {
    if (this.len + 2 > this.a.length) {
      const next = new Int32Array(this.a.length * 2);
      next.set(this.a);
      this.a = next;
    }
    this.a[this.len++] = x;
    this.a[this.len++] = y;
  }
  done(): Int32Array {
    return this.a.slice(0, this.len);
  }
}

export interface BorderState extends LinkState {
  /** Cluster of every core row (index order), -1 elsewhere. */
  readonly cluster: Int32Array;
}

/** Pass 3: the label of each row of the shard: its own cluster (core), the lowest cluster among core rows within eps (border), or -1 (noise). */
export const dbscanBorderOp = defineOp<BorderState, Int32Array>({
  name: 'dbscan.border',
  run(sh, g) {
    const s = searchOf(sh, g);
    const out = new Int32Array(sh.rows);
    const rr = s.finder.out;
    for (let i = sh.start; i < sh.start + sh.rows; i++) {
      if (g.core[i]) { out[i - sh.start] = g.cluster[i]; continue; }
      const m = s.ranges(i);
      let best = -1;
      for (let r = 0; r < m; r++) {
        for (let q = rr[2 * r]; q < rr[2 * r + 1]; q++) {
          const c = g.cluster[q];
          if (c >= 0 && (best < 0 || c < best) && s.within(i, q)) best = c;
        }
      }
      out[i - sh.start] = best;
    }
    return out;
  },
}, import.meta.url);
