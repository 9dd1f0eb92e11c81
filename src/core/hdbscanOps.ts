// The shard ops of HDBSCAN over a replicated float64 handle whose rows are in kd-tree order: core distances (k
// nearest neighbours, the row itself included) and one Borůvka round of the mutual-reachability minimum spanning
// tree (McInnes & Healy 2017): for each component, the lightest edge from one of the shard's rows to another
// component. Edges are ordered by (weight, lower original row, higher original row), a strict order, so the tree
// is unique and no executor or shard size changes it.
import { allColumn, type Shard } from '../kernels/shard.js';
import { defineOp } from '../engine/shardOp.js';
import { boxMinDist2, type TreeSpec } from './spatialIndex.js';

export interface CoreState {
  readonly tree: TreeSpec;
  /** Neighbours counted, the row itself included (minSamples). */
  readonly k: number;
}

function columnsOf(sh: Shard): Float64Array[] {
  return Array.from({ length: sh.d }, (_, j) => allColumn(sh, j) as Float64Array);
}

/** Float64 euclidean distance between rows, summed feature by feature. */
function distance(x: Float64Array[], i: number, q: number): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) { const t = x[j][i] - x[j][q]; s += t * t; }
  return Math.sqrt(s);
}

/** Distance from each row of the shard to its k-th nearest row (itself first, at 0). */
export const hdbscanCoreOp = defineOp<CoreState, Float64Array>({
  name: 'hdbscan.core',
  run(sh, s) {
    const x = columnsOf(sh), t = s.tree, k = s.k;
    const out = new Float64Array(sh.rows);
    const best = new Float64Array(k);
    const p = new Float64Array(sh.d);
    const stack = new Int32Array(128);
    for (let i = sh.start; i < sh.start + sh.rows; i++) {
      best.fill(Infinity);
      for (let j = 0; j < sh.d; j++) p[j] = x[j][i];
      let top = 0;
      stack[top++] = 0;
      while (top > 0) {
        const node = stack[--top];
        if (Math.sqrt(boxMinDist2(t, node, p)) > best[k - 1]) continue;
        if (node >= t.firstLeaf) {
          for (let q = t.start[node]; q < t.end[node]; q++) {
            const v = distance(x, i, q);
            if (v >= best[k - 1]) continue;
            let at = k - 1;
            while (at > 0 && best[at - 1] > v) { best[at] = best[at - 1]; at--; }
            best[at] = v;
          }
        } else {
          // nearer child last, so it is searched first
          const a = 2 * node + 1, b = a + 1;
          if (boxMinDist2(t, a, p) <= boxMinDist2(t, b, p)) { stack[top++] = b; stack[top++] = a; } else { stack[top++] = a; stack[top++] = b; }
        }
      }
      out[i - sh.start] = best[k - 1];
    }
    return out;
  },
}, import.meta.url);

export interface BoruvkaState {
  readonly tree: TreeSpec;
  /** Original row of each row (index order), for the order of tied edges. */
  readonly perm: Int32Array;
  /** Core distance of each row (index order). */
  readonly core: Float64Array;
  /** Component of each row (index order). */
  readonly comp: Int32Array;
  /** Per tree node: the component of all its rows, or -1 when they span several. */
  readonly nodeComp: Int32Array;
  /** Per tree node: the smallest core distance among its rows. */
  readonly nodeCore: Float64Array;
}

/** Per component with an edge found here: its id, the weight, and the edge's rows (original numbering, lower first). */
export interface BoruvkaPartial {
  readonly comp: Int32Array;
  readonly weight: Float64Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
}

/** `(w, a, b)` comes before `(w2, a2, b2)` in the strict edge order. */
export function edgeBefore(w: number, a: number, b: number, w2: number, a2: number, b2: number): boolean {
  return w < w2 || (w === w2 && (a < a2 || (a === a2 && b < b2)));
}

/** One Borůvka round: the lightest mutual-reachability edge leaving each component, from this shard's rows. */
export const hdbscanBoruvkaOp = defineOp<BoruvkaState, BoruvkaPartial>({
  name: 'hdbscan.boruvka',
  run(sh, s) {
    const x = columnsOf(sh), t = s.tree, { core, comp, perm, nodeComp, nodeCore } = s;
    const found = new Map<number, { w: number; a: number; b: number }>();
    const p = new Float64Array(sh.d);
    const stack = new Int32Array(128);
    for (let i = sh.start; i < sh.start + sh.rows; i++) {
      const c = comp[i], ci = core[i], oi = perm[i];
      let best = found.get(c);
      // every edge from i weighs at least its core distance
      if (best && best.w < ci) continue;
      for (let j = 0; j < sh.d; j++) p[j] = x[j][i];
      let top = 0;
      stack[top++] = 0;
      while (top > 0) {
        const node = stack[--top];
        if (nodeComp[node] === c) continue;
        if (best) {
          const lb = Math.max(ci, nodeCore[node], Math.sqrt(boxMinDist2(t, node, p)));
          if (lb > best.w) continue;
        }
        if (node >= t.firstLeaf) {
          for (let q = t.start[node]; q < t.end[node]; q++) {
            if (comp[q] === c) continue;
            const w = Math.max(ci, core[q], distance(x, i, q));
            const oq = perm[q];
            const a = oi < oq ? oi : oq, b = oi < oq ? oq : oi;
            if (!best) { best = { w, a, b }; found.set(c, best); } else if (edgeBefore(w, a, b, best.w, best.a, best.b)) { best.w = w; best.a = a; best.b = b; }
          }
        } else {
          const l = 2 * node + 1, r = l + 1;
          if (boxMinDist2(t, l, p) <= boxMinDist2(t, r, p)) { stack[top++] = r; stack[top++] = l; } else { stack[top++] = l; stack[top++] = r; }
        }
      }
    }
    const comps = [...found.keys()].sort((u, v) => u - v);
    return {
      comp: Int32Array.from(comps),
      weight: Float64Array.from(comps, (c) => found.get(c)!.w),
      a: Int32Array.from(comps, (c) => found.get(c)!.a),
      b: Int32Array.from(comps, (c) => found.get(c)!.b),
    };
  },
}, import.meta.url);
