// HDBSCAN's hierarchy after the spanning tree (Campello, Moulavi & Sander 2013; McInnes, Healy & Astels 2017):
// the condensed tree of a single-linkage hierarchy, cluster stability, excess-of-mass or leaf selection, labels,
// membership probabilities and GLOSH outlier scores. Conventions follow the hdbscan library (and scikit-learn's
// port): lambda = 1 / distance, clusters numbered from n (the root) in breadth-first order. O(n log n).

/** The condensed tree: one row per point leaving a cluster or per cluster born of a split. */
export interface CondensedTree {
  /** Cluster ids (n = root). */
  readonly parent: Int32Array;
  /** A point (< n) or a cluster (>= n). */
  readonly child: Int32Array;
  /** 1 / distance at which the child leaves (or is born), Infinity at distance 0. */
  readonly lambda: Float64Array;
  readonly size: Int32Array;
}

/**
 * Condenses a single-linkage hierarchy (SciPy layout, (n - 1) x 4): walking down from the root, a split into two
 * parts of at least minClusterSize rows makes two new clusters; a smaller part's rows fall out of the cluster at
 * that lambda, and the rest keeps the cluster's id.
 */
export function condenseTree(Z: Float64Array, n: number, minClusterSize: number): CondensedTree {
  const parent: number[] = [], child: number[] = [], lambda: number[] = [], size: number[] = [];
  if (n < 2) return { parent: new Int32Array(0), child: new Int32Array(0), lambda: new Float64Array(0), size: new Int32Array(0) };
  const root = 2 * n - 2;
  const relabel = new Int32Array(root + 1);
  const ignore = new Uint8Array(root + 1);
  relabel[root] = n;
  let next = n + 1;
  const countOf = (node: number): number => (node < n ? 1 : Z[4 * (node - n) + 3]);
  // the points below a node (breadth-first, as hdbscan's bfs_from_hierarchy), marking the nodes visited
  const fallOut = (from: number, cluster: number, lam: number): void => {
    const queue = [from];
    for (let h = 0; h < queue.length; h++) {
      const v = queue[h];
      ignore[v] = 1;
      if (v < n) { parent.push(cluster); child.push(v); lambda.push(lam); size.push(1); } else queue.push(Z[4 * (v - n)], Z[4 * (v - n) + 1]);
    }
  };
  const order = [root];
  for (let h = 0; h < order.length; h++) {
    const node = order[h];
    if (node >= n) order.push(Z[4 * (node - n)], Z[4 * (node - n) + 1]);
  }
  for (const node of order) {
    if (ignore[node] || node < n) continue;
    const r = 4 * (node - n);
    const left = Z[r], right = Z[r + 1], dist = Z[r + 2];
    const lam = dist > 0 ? 1 / dist : Infinity;
    const lc = countOf(left), rc = countOf(right);
    const here = relabel[node];
    if (lc >= minClusterSize && rc >= minClusterSize) {
      relabel[left] = next++;
      parent.push(here); child.push(relabel[left]); lambda.push(lam); size.push(lc);
      relabel[right] = next++;
      parent.push(here); child.push(relabel[right]); lambda.push(lam); size.push(rc);
    } else if (lc < minClusterSize && rc < minClusterSize) {
      fallOut(left, here, lam);
      fallOut(right, here, lam);
    } else if (lc < minClusterSize) {
      relabel[right] = here;
      fallOut(left, here, lam);
    } else {
      relabel[left] = here;
      fallOut(right, here, lam);
    }
  }
  return { parent: Int32Array.from(parent), child: Int32Array.from(child), lambda: Float64Array.from(lambda), size: Int32Array.from(size) };
}

/** Clusters in the tree: ids n .. n + count - 1. */
export function clusterCount(tree: CondensedTree, n: number): number {
  let top = n;
  for (const c of tree.child) if (c > top) top = c;
  for (const p of tree.parent) if (p > top) top = p;
  return top - n + 1;
}

/** Stability of each cluster (index id - n): the sum over its rows of (lambda out - lambda of its birth) x size. */
export function stabilities(tree: CondensedTree, n: number): Float64Array {
  const m = clusterCount(tree, n);
  const birth = new Float64Array(m);
  for (let r = 0; r < tree.child.length; r++) if (tree.child[r] >= n) birth[tree.child[r] - n] = tree.lambda[r];
  const out = new Float64Array(m);
  for (let r = 0; r < tree.child.length; r++) {
    const p = tree.parent[r] - n;
    out[p] += (tree.lambda[r] - birth[p]) * tree.size[r];
  }
  return out;
}

/**
 * The selected clusters (ids >= n, ascending). 'eom': bottom-up, a cluster is kept when its stability is at least
 * the summed stability of the clusters selected below it (excess of mass); 'leaf': the clusters with no child
 * cluster. The root is never selected (no single-cluster result).
 */
export function selectClusters(tree: CondensedTree, n: number, method: 'eom' | 'leaf'): number[] {
  const m = clusterCount(tree, n);
  const children: number[][] = Array.from({ length: m }, () => []);
  for (let r = 0; r < tree.child.length; r++) if (tree.child[r] >= n) children[tree.parent[r] - n].push(tree.child[r] - n);
  const selected = new Uint8Array(m);
  if (method === 'leaf') {
    for (let c = 1; c < m; c++) if (children[c].length === 0) selected[c] = 1;
  } else {
    const stab = stabilities(tree, n);
    // children have larger ids than their parent: descending ids visit every child before its parent
    for (let c = m - 1; c >= 1; c--) {
      let sub = 0;
      for (const ch of children[c]) sub += stab[ch];
      if (sub > stab[c]) {
        stab[c] = sub;
      } else {
        selected[c] = 1;
        const stack = [...children[c]];
        while (stack.length) { const v = stack.pop()!; selected[v] = 0; stack.push(...children[v]); }
      }
    }
  }
  const out: number[] = [];
  for (let c = 1; c < m; c++) if (selected[c]) out.push(n + c);
  return out;
}

export interface HdbscanLabelling {
  readonly labels: Int32Array;
  readonly probabilities: Float64Array;
  readonly outlierScores: Float64Array;
}

/**
 * Labels (selected clusters numbered by id, -1 for the rest), membership probabilities (lambda at which the point
 * leaves, capped at its cluster's largest lambda, over that largest lambda: hdbscan's max_lambdas, direct children
 * only) and GLOSH scores (1 - lambda of the point / the largest lambda anywhere below the cluster it leaves;
 * Campello et al. 2015).
 */
export function labelPoints(tree: CondensedTree, n: number, selected: readonly number[]): HdbscanLabelling {
  const m = clusterCount(tree, n);
  const up = new Int32Array(m).fill(-1);
  for (let r = 0; r < tree.child.length; r++) if (tree.child[r] >= n) up[tree.child[r] - n] = tree.parent[r] - n;
  const labelOf = new Int32Array(m).fill(-1);
  selected.forEach((c, l) => { labelOf[c - n] = l; });
  // each cluster's selected ancestor (itself included), parents first
  const owner = new Int32Array(m).fill(-1);
  for (let c = 0; c < m; c++) owner[c] = labelOf[c] >= 0 ? labelOf[c] : up[c] >= 0 ? owner[up[c]] : -1;
  const direct = new Float64Array(m);
  for (let r = 0; r < tree.child.length; r++) {
    const p = tree.parent[r] - n;
    if (tree.lambda[r] > direct[p]) direct[p] = tree.lambda[r];
  }
  const below = Float64Array.from(direct);
  for (let c = m - 1; c >= 1; c--) if (below[c] > below[up[c]]) below[up[c]] = below[c];
  const labels = new Int32Array(n).fill(-1), probabilities = new Float64Array(n), outlierScores = new Float64Array(n);
  for (let r = 0; r < tree.child.length; r++) {
    const pt = tree.child[r];
    if (pt >= n) continue;
    const c = tree.parent[r] - n, lam = tree.lambda[r];
    const l = owner[c];
    labels[pt] = l;
    if (l >= 0) {
      const max = direct[selected[l] - n];
      probabilities[pt] = max === 0 || !Number.isFinite(lam) ? 1 : Math.min(lam, max) / max;
    }
    const top = below[c];
    outlierScores[pt] = !Number.isFinite(lam) ? 0 : top === Infinity ? 1 : top === 0 ? 0 : (top - lam) / top;
  }
  return { labels, probabilities, outlierScores };
}
