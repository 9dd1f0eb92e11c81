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
  run: (sh, s) => nearest(sh, s).core,
}, import.meta.url);

/** Core distances and the k nearest rows of each row of the shard (index order, k per row, nearest first). */
export const hdbscanNeighboursOp = defineOp<CoreState, { core: Float64Array; nn: Int32Array; tie: Uint8Array }>({
  name: 'hdbscan.neighbours',
  run: (sh, s) => nearest(sh, s),
}, import.meta.url);

/**
 * The k + 1 nearest rows of each row of the shard (k when n = k): the k-th distance is the core distance, the
 * first k rows the neighbour list, and `tie` marks rows where another row lies at exactly the core distance
 * (then the list may miss a row that far, and the spanning-tree search must look again).
 */
function nearest(sh: Shard, s: CoreState): { core: Float64Array; nn: Int32Array; tie: Uint8Array } {
  const x = columnsOf(sh), t = s.tree, k = s.k, m = Math.min(k + 1, sh.n);
  const out = new Float64Array(sh.rows);
  const nn = new Int32Array(sh.rows * k);
  const tie = new Uint8Array(sh.rows);
  const best = new Float64Array(m);
  const who = new Int32Array(m);
  const p = new Float64Array(sh.d);
  const stack = new Int32Array(128);
  for (let i = sh.start; i < sh.start + sh.rows; i++) {
    best.fill(Infinity);
    for (let j = 0; j < sh.d; j++) p[j] = x[j][i];
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      // at or past the (k + 1)-th distance so far, no row of the box is taken (below): identical rows stop the search
      if (Math.sqrt(boxMinDist2(t, node, p)) >= best[m - 1]) continue;
      if (node >= t.firstLeaf) {
        for (let q = t.start[node]; q < t.end[node]; q++) {
          const v = distance(x, i, q);
          if (v >= best[m - 1]) continue;
          let at = m - 1;
          while (at > 0 && best[at - 1] > v) { best[at] = best[at - 1]; who[at] = who[at - 1]; at--; }
          best[at] = v;
          who[at] = q;
        }
      } else {
        // nearer child last, so it is searched first
        const a = 2 * node + 1, b = a + 1;
        if (boxMinDist2(t, a, p) <= boxMinDist2(t, b, p)) { stack[top++] = b; stack[top++] = a; } else { stack[top++] = a; stack[top++] = b; }
      }
    }
    out[i - sh.start] = best[k - 1];
    nn.set(who.subarray(0, k), (i - sh.start) * k);
    tie[i - sh.start] = m > k && best[k] === best[k - 1] ? 1 : 0;
  }
  return { core: out, nn, tie };
}

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
  /** The k nearest rows of each row (index order): the first candidates, so the tree search starts with a tight bound. */
  readonly nn: Int32Array;
  readonly k: number;
  /** Rows with another row at exactly their core distance (not all of them in `nn`). */
  readonly tie: Uint8Array;
  /** Rows identical to a lower row joined before the rounds, which stands for them (index order); per node, all such. */
  readonly skip: Uint8Array;
  readonly nodeSkip: Uint8Array;
}

/** Per component with an edge found here: its id, the weight, and the edge's rows (original numbering, lower first). */
export interface BoruvkaPartial {
  readonly comp: Int32Array;
  readonly weight: Float64Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
}

/** Squared distance between two nodes' boxes (0 when they overlap): at or below that of any two of their rows. */
function boxBoxDist2(t: TreeSpec, u: number, v: number): number {
  let s = 0;
  const ou = u * t.dims, ov = v * t.dims;
  for (let j = 0; j < t.dims; j++) {
    const gap = Math.max(t.lo[ov + j] - t.hi[ou + j], t.lo[ou + j] - t.hi[ov + j], 0);
    s += gap * gap;
  }
  return s;
}

/** `(w, a, b)` comes before `(w2, a2, b2)` in the strict edge order. */
export function edgeBefore(w: number, a: number, b: number, w2: number, a2: number, b2: number): boolean {
  return w < w2 || (w === w2 && (a < a2 || (a === a2 && b < b2)));
}

/** One Borůvka round: the lightest mutual-reachability edge leaving each component, from this shard's rows. */
export const hdbscanBoruvkaOp = defineOp<BoruvkaState, BoruvkaPartial>({
  name: 'hdbscan.boruvka',
  run(sh, s) {
    const x = columnsOf(sh), t = s.tree, { core, comp, perm, nodeComp, nodeCore, skip, nodeSkip } = s;
    const found = new Map<number, { w: number; a: number; b: number }>();
    const p = new Float64Array(sh.d);
    const stack = new Int32Array(128);
    const offer = (c: number, w: number, a: number, b: number): void => {
      const best = found.get(c);
      if (!best) found.set(c, { w, a, b });
      else if (edgeBefore(w, a, b, best.w, best.a, best.b)) { best.w = w; best.a = a; best.b = b; }
    };
    // first the k nearest rows of every row: cheap, and they bound each component's search below
    for (let i = sh.start; i < sh.start + sh.rows; i++) {
      const c = comp[i], ci = core[i], oi = perm[i];
      if (skip[i]) continue;
      for (let m = 0; m < s.k; m++) {
        const q = s.nn[i * s.k + m];
        if (comp[q] === c || skip[q]) continue;
        const oq = perm[q];
        offer(c, Math.max(ci, core[q], distance(x, i, q)), oi < oq ? oi : oq, oi < oq ? oq : oi);
      }
    }
    // then the tree, a leaf of query rows at a time: a leaf inside one component first finds the leaves that can
    // still beat its component's best edge (box to box), and often none can (a dual-tree bound, McInnes & Healy 2017)
    const end = sh.start + sh.rows;
    const cand: number[] = [];
    for (let L = t.firstLeaf; L < t.nodes; L++) {
      const a = Math.max(sh.start, t.start[L]), b = Math.min(end, t.end[L]);
      if (a >= b || nodeSkip[L]) continue;
      const c0 = nodeComp[L];
      let leaves: number[] | null = null;
      if (c0 >= 0) {
        let minCore = Infinity;
        for (let i = a; i < b; i++) if (core[i] < minCore) minCore = core[i];
        const bound = found.get(c0);
        if (bound && bound.w < minCore) continue;
        cand.length = 0;
        let top = 0;
        stack[top++] = 0;
        while (top > 0) {
          const node = stack[--top];
          if (nodeComp[node] === c0 || nodeSkip[node]) continue;
          const now = found.get(c0);
          if (now && Math.max(minCore, nodeCore[node], Math.sqrt(boxBoxDist2(t, node, L))) > now.w) continue;
          if (node >= t.firstLeaf) cand.push(node);
          else { stack[top++] = 2 * node + 2; stack[top++] = 2 * node + 1; }
        }
        if (cand.length === 0) continue;
        leaves = cand;
      }
      for (let i = a; i < b; i++) {
        const c = comp[i], ci = core[i], oi = perm[i];
        if (skip[i]) continue;
        let best = found.get(c);
        // every edge from i weighs at least its core distance, and those of exactly that weight reach rows
        // within it: rows in i's neighbour list, offered above, unless another row ties at that distance
        if (best && (best.w < ci || (best.w === ci && !s.tie[i]))) continue;
        for (let j = 0; j < sh.d; j++) p[j] = x[j][i];
        const visit = (node: number): void => {
          for (let q = t.start[node]; q < t.end[node]; q++) {
            if (comp[q] === c || skip[q]) continue;
            const w = Math.max(ci, core[q], distance(x, i, q));
            const oq = perm[q];
            const lo = oi < oq ? oi : oq, hi = oi < oq ? oq : oi;
            if (!best) { best = { w, a: lo, b: hi }; found.set(c, best); } else if (edgeBefore(w, lo, hi, best.w, best.a, best.b)) { best.w = w; best.a = lo; best.b = hi; }
          }
        };
        if (leaves) {
          for (const node of leaves) {
            if (best && Math.max(ci, nodeCore[node], Math.sqrt(boxMinDist2(t, node, p))) > best.w) continue;
            visit(node);
          }
          continue;
        }
        let top = 0;
        stack[top++] = 0;
        while (top > 0) {
          const node = stack[--top];
          if (nodeComp[node] === c || nodeSkip[node]) continue;
          if (best && Math.max(ci, nodeCore[node], Math.sqrt(boxMinDist2(t, node, p))) > best.w) continue;
          if (node >= t.firstLeaf) visit(node);
          else {
            const l = 2 * node + 1, r = l + 1;
            if (boxMinDist2(t, l, p) <= boxMinDist2(t, r, p)) { stack[top++] = r; stack[top++] = l; } else { stack[top++] = l; stack[top++] = r; }
          }
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
