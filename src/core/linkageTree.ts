// SciPy's linkage matrix and what is read from it: flat clusters at any k, the k for a distance threshold, and
// the coordinates of a (truncated) dendrogram. Pure functions over an (n - 1) x 4 Float64Array, O(n) memory.
import { UnionFind } from './unionFind.js';

/**
 * SciPy's finishing step: merges sorted by height (stable, as numpy's mergesort), then relabelled with a
 * union-find so each row joins two current clusters (smaller id first) into cluster n + row, with its size.
 * `raw` holds (a, b, height) per merge in the algorithm's order, a and b being points or slots.
 */
export function finishLinkage(raw: Float64Array, n: number, heightOf: (h: number) => number = (h) => h): Float64Array {
  const m = n - 1;
  const order = Array.from({ length: m }, (_, r) => r);
  const h = Float64Array.from({ length: m }, (_, r) => heightOf(raw[3 * r + 2]));
  order.sort((a, b) => h[a] - h[b] || a - b);
  const Z = new Float64Array(4 * m);
  // SciPy's LinkageUnionFind: parents over 2n - 1 nodes, each merge makes node next
  const parent = new Int32Array(2 * n - 1).fill(-1);
  const size = new Float64Array(2 * n - 1).fill(1);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] >= 0) r = parent[r];
    while (parent[x] >= 0 && parent[x] !== r) { const up = parent[x]; parent[x] = r; x = up; }
    return r;
  };
  order.forEach((src, row) => {
    const x = find(raw[3 * src]), y = find(raw[3 * src + 1]);
    const next = n + row;
    parent[x] = next;
    parent[y] = next;
    size[next] = size[x] + size[y];
    Z[4 * row] = Math.min(x, y);
    Z[4 * row + 1] = Math.max(x, y);
    Z[4 * row + 2] = h[src];
    Z[4 * row + 3] = size[next];
  });
  return Z;
}

/**
 * Flat clusters with the last k - 1 merges undone (scikit-learn's cut: exactly k clusters, ties included),
 * numbered by their first row.
 */
export function cutLinkage(Z: Float64Array, n: number, k: number): Int32Array {
  const uf = new UnionFind(2 * n - 1);
  for (let row = 0; row < n - k; row++) {
    uf.union(Z[4 * row], n + row);
    uf.union(Z[4 * row + 1], n + row);
  }
  const labels = new Int32Array(n);
  const ids = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = uf.find(i);
    let id = ids.get(r);
    if (id === undefined) { id = ids.size; ids.set(r, id); }
    labels[i] = id;
  }
  return labels;
}

/** Clusters left when every merge at or above the threshold is undone (scikit-learn's distance_threshold). */
export function clustersAtThreshold(Z: Float64Array, n: number, threshold: number): number {
  let k = 1;
  for (let row = 0; row < n - 1; row++) if (Z[4 * row + 2] >= threshold) k++;
  return k;
}

/** Dendrogram coordinates as SciPy's `dendrogram(Z, truncate_mode='level', p=levels, no_plot=True)` gives them. */
export interface DendrogramData {
  /** Per drawn merge, the x of its four corners (left leg bottom, left top, right top, right leg bottom). */
  readonly icoord: number[][];
  /** Per drawn merge, the heights of those corners. */
  readonly dcoord: number[][];
  /** The node shown at each leaf position, left to right: a row (< n) or a merged cluster (n + merge row). */
  readonly leaves: number[];
  /** Rows under each leaf. */
  readonly leafSizes: number[];
}

/**
 * The top of the tree: merges at most `levels` steps below the last one are drawn, deeper clusters become leaves
 * (SciPy's 'level' truncation, children in linkage order; 0 draws every merge). Leaves are 10 apart, the first at x = 5.
 */
export function dendrogramData(Z: Float64Array, n: number, levels: number): DendrogramData {
  const icoord: number[][] = [], dcoord: number[][] = [], leaves: number[] = [], leafSizes: number[] = [];
  if (n < 2) return { icoord, dcoord, leaves: n === 1 ? [0] : [], leafSizes: n === 1 ? [1] : [] };
  // SciPy: p = 0 draws the whole tree
  const limit = levels > 0 ? levels : Infinity;
  // a post-order walk on an explicit stack (a chain of merges may be deeper than the call stack allows); a finished
  // node leaves [x of the node, width used, height of its top] in `done` for its parent
  const stack: { i: number; iv: number; level: number; left: [number, number, number] | null; step: number }[] = [
    { i: 2 * n - 2, iv: 0, level: 0, left: null, step: 0 },
  ];
  let done: [number, number, number] = [0, 0, 0];
  while (stack.length) {
    const f = stack[stack.length - 1];
    const { i, iv, level } = f;
    if (i < n || (i > n && level > limit)) {
      // a row, or a truncated cluster (as SciPy draws it: i > n, its leg reaching the axis)
      leaves.push(i);
      leafSizes.push(i < n ? 1 : Z[4 * (i - n) + 3]);
      done = [iv + 5, 10, 0];
      stack.pop();
      continue;
    }
    const r = 4 * (i - n);
    if (f.step === 0) {
      f.step = 1;
      stack.push({ i: Z[r], iv, level: level + 1, left: null, step: 0 });
    } else if (f.step === 1) {
      f.step = 2;
      f.left = done;
      stack.push({ i: Z[r + 1], iv: iv + done[1], level: level + 1, left: null, step: 0 });
    } else {
      const [xa, wa, ha] = f.left!, [xb, wb, hb] = done, h = Z[r + 2];
      icoord.push([xa, xa, xb, xb]);
      dcoord.push([ha, h, h, hb]);
      done = [(xa + xb) / 2, wa + wb, h];
      stack.pop();
    }
  }
  return { icoord, dcoord, leaves, leafSizes };
}
