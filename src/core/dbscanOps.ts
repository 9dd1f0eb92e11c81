// The shard ops of DBSCAN over a replicated float64 handle whose rows are in spatial-index order: count each row's
// neighbourhood (core points), link core points within eps (a spanning forest of the shard's core-core edges),
// and give each border point its cluster. No neighbourhood is ever stored: every pass searches again, O(n) memory.
import { allColumn, type Shard } from '../kernels/shard.js';
import { defineOp } from '../engine/shardOp.js';
import { RangeFinder, type IndexSpec } from './spatialIndex.js';
import { UnionFind } from './unionFind.js';

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
  }

  /** Candidate ranges (in finder.out) around row i; for the grid they depend only on i's cell. */
  ranges(i: number): number {
    return this.g.index.kind === 'grid' ? this.finder.cellRanges(this.keys![i]) : this.finder.treeRanges(i, this.g.r2);
  }

  /** Rows i and q are within eps: float64, in scikit-learn's own arithmetic (kd-tree rdist; ball-tree haversine). */
  within(i: number, q: number): boolean {
    if (this.g.metric === 'euclidean') {
      const x = this.x;
      let s = 0;
      for (let j = 0; j < x.length; j++) {
        const t = x[j][i] - x[j][q];
        s += t * t;
      }
      return s <= this.g.limit;
    }
    const s0 = Math.sin(0.5 * (this.lat![i] - this.lat![q]));
    const s1 = Math.sin(0.5 * (this.lon![i] - this.lon![q]));
    return s0 * s0 + this.cos![i] * this.cos![q] * s1 * s1 <= this.g.limit;
  }
}

const f64 = (a: Float32Array | Float64Array): Float64Array => a as Float64Array;

function searchOf(sh: Shard, g: DbscanGeometry): EpsSearch {
  return new EpsSearch(g, (j) => f64(allColumn(sh, j)));
}

/** Pass 1: 1 for each row of the shard whose weighted neighbourhood (itself included) reaches minSamples. */
export const dbscanCountOp = defineOp<DbscanGeometry, Uint8Array>({
  name: 'dbscan.count',
  run(sh, g) {
    const s = searchOf(sh, g);
    const out = new Uint8Array(sh.rows);
    const w = s.w, need = g.minSamples;
    let cellKey = NaN, m = 0;
    const rr = s.finder.out;
    for (let i = sh.start; i < sh.start + sh.rows; i++) {
      if (s.keys) {
        if (s.keys[i] !== cellKey) { cellKey = s.keys[i]; m = s.ranges(i); }
      } else m = s.ranges(i);
      let count = 0;
      found: for (let r = 0; r < m; r++) {
        for (let q = rr[2 * r]; q < rr[2 * r + 1]; q++) {
          if (s.within(i, q)) {
            count += w ? w[q] : 1;
            // weights are never negative: the count can only grow
            if (count >= need) break found;
          }
        }
      }
      out[i - sh.start] = count >= need ? 1 : 0;
    }
    return out;
  },
}, import.meta.url);

export interface LinkState extends DbscanGeometry {
  /** Core flag of every row (index order). */
  readonly core: Uint8Array;
}

/**
 * Pass 2: a spanning forest of the edges between each core row of the shard and the core rows after it within
 * eps, as (row, row) pairs; a union-find skips the distance test between rows already joined.
 */
export const dbscanLinkOp = defineOp<LinkState, Int32Array>({
  name: 'dbscan.link',
  run(sh, g) {
    const s = searchOf(sh, g);
    const core = g.core;
    const uf = new UnionFind(sh.n);
    const edges: number[] = [];
    const rr = s.finder.out;
    let cellKey = NaN, m = 0;
    for (let i = sh.start; i < sh.start + sh.rows; i++) {
      if (!core[i]) continue;
      if (s.keys) {
        if (s.keys[i] !== cellKey) { cellKey = s.keys[i]; m = s.ranges(i); }
      } else m = s.ranges(i);
      for (let r = 0; r < m; r++) {
        for (let q = Math.max(i + 1, rr[2 * r]); q < rr[2 * r + 1]; q++) {
          if (!core[q] || uf.find(i) === uf.find(q) || !s.within(i, q)) continue;
          uf.union(i, q);
          edges.push(i, q);
        }
      }
    }
    return Int32Array.from(edges);
  },
}, import.meta.url);

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
