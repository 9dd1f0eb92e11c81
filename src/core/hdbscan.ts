import { SegkitError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { assertResolution, finiteCopies, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor } from '../engine/executor.js';
import { condenseTree, labelPoints, selectClusters, stabilities, type CondensedTree } from './condensedTree.js';
import { edgeBefore, hdbscanBoruvkaOp, hdbscanNeighboursOp, type BoruvkaState } from './hdbscanOps.js';
import { finishLinkage } from './linkageTree.js';
import type { RunOptions } from './model.js';
import { buildKdTree } from './spatialIndex.js';
import { UnionFind } from './unionFind.js';
import { hdbscanDefaults } from './hdbscanDefaults.js';

export interface HdbscanOptions extends RunOptions {
  /** Smallest group that counts as a cluster (default 5, at least 2). */
  minClusterSize?: number;
  /** Neighbours (the point itself included) whose distance is a point's core distance (default, or null as scikit-learn's None: minClusterSize). */
  minSamples?: number;
  /** 'eom' (excess of mass, default) or 'leaf' (the finest clusters). */
  clusterSelectionMethod?: 'eom' | 'leaf';
}

export { hdbscanDefaults };

const HDBSCAN_OPTIONS = ['minClusterSize', 'minSamples', 'clusterSelectionMethod', 'executor', 'threads', 'signal'] as const;

/** The result of `hdbscan`: plain arrays. */
export interface HdbscanResult {
  readonly kind: 'hdbscan';
  /** Clusters found (noise is not one). */
  readonly k: number;
  /** Cluster of each row, -1 for noise. */
  readonly labels: Int32Array;
  /** Strength of each row's membership in its cluster, 0 for noise, 1 at the cluster's densest. */
  readonly probabilities: Float64Array;
  /** GLOSH outlier score of each row, 0 (inlier) to 1. */
  readonly outlierScores: Float64Array;
  /** Core distance of each row. */
  readonly coreDistances: Float64Array;
  /** The mutual-reachability minimum spanning tree as a single-linkage matrix (SciPy's layout, heights = edge weights). */
  readonly singleLinkage: Float64Array;
  readonly condensedTree: CondensedTree;
  /**
   * Stability of each selected cluster, by label: Infinity for a cluster holding identical rows, which leave it at
   * distance 0 (lambda = 1 / 0), as in the hdbscan library. JSON.stringify writes Infinity as null.
   */
  readonly clusterStability: Float64Array;
  readonly featureNames: readonly string[];
  readonly nSamples: number;
}

function check(o: HdbscanOptions, n: number): { minClusterSize: number; minSamples: number; method: 'eom' | 'leaf' } {
  checkOptions(o, HDBSCAN_OPTIONS, 'hdbscan');
  const minClusterSize = orDefault(o.minClusterSize, hdbscanDefaults.minClusterSize);
  if (!Number.isInteger(minClusterSize) || minClusterSize < 2) throw badOption('minClusterSize', minClusterSize, 'an integer >= 2');
  const minSamples = o.minSamples ?? minClusterSize;
  if (!Number.isInteger(minSamples) || minSamples < 1) throw badOption('minSamples', minSamples, 'an integer >= 1');
  if (minSamples > n) {
    // minSamples defaults to minClusterSize: name the option the caller gave
    const given = o.minSamples === undefined ? `option "minClusterSize" is ${minClusterSize} (and minSamples, which defaults to it)` : `option "minSamples" is ${minSamples}`;
    throw new SegkitError('E_BAD_OPTION', `${given} but the data has only ${n} rows`);
  }
  const method = orDefault(o.clusterSelectionMethod, hdbscanDefaults.clusterSelectionMethod);
  if (method !== 'eom' && method !== 'leaf') throw badOption('clusterSelectionMethod', method, '"eom" or "leaf"');
  return { minClusterSize, minSamples, method };
}

/**
 * Rows per shard of the neighbour and Borůvka passes: a shard's searches take a few tens of milliseconds, so an
 * executor that runs shards on the calling thread lets the event loop (and an abort) in between (the result never
 * depends on it).
 */
const HDBSCAN_SHARD_ROWS = 4096;

/**
 * The mutual-reachability minimum spanning tree: core distances from k-nearest-neighbour searches, then Borůvka
 * rounds on a kd-tree (each a shard op; the lightest edge of each component merged in shard order). Returns the
 * tree's edges sorted by (weight, lower row, higher row) and the core distances (original row order).
 */
export async function mutualReachabilityTree(ex: Executor, ds: Dataset, minSamples: number, signal?: AbortSignal): Promise<{ edges: Float64Array; core: Float64Array }> {
  const n = ds.n;
  // each row's minSamples nearest neighbours are kept in one typed array
  if (n * minSamples > 0x7fffffff) {
    throw new SegkitError('E_MEMORY', `hdbscan keeps ${minSamples} neighbours of each of the ${n} rows: ${n * minSamples} in all, more than one array holds (2^31 - 1)`, 'lower minSamples (minClusterSize when it is not given), or cluster a sample of the rows');
  }
  const cols = finiteCopies(ds);
  const built = buildKdTree(cols, 32);
  const { perm, spec: tree } = built;
  const sorted = cols.map((c) => { const o = new Float64Array(n); for (let r = 0; r < n; r++) o[r] = c[perm[r]]; return o; });
  const handle = await ex.load({ columns: sorted }, { dtype: 'f64', replicate: true, shardRows: HDBSCAN_SHARD_ROWS, signal });
  try {
    const coreParts = await ex.map(hdbscanNeighboursOp, handle, { tree, k: minSamples }, { signal });
    const core = new Float64Array(n), nn = new Int32Array(n * minSamples), tie = new Uint8Array(n);
    let at = 0;
    for (const p of coreParts) { core.set(p.core, at); nn.set(p.nn, at * minSamples); tie.set(p.tie, at); at += p.core.length; }
    // components by index-order row; the union-find root (the lowest row) names each
    const uf = new UnionFind(n);
    const edges: number[] = [];
    const skip = new Uint8Array(n);
    let components = n - joinIdentical(sorted, core, perm, uf, edges, skip);
    // per tree node: the smallest core distance among its rows the rounds search from and to, and whether it has none
    const nodeCore = new Float64Array(tree.nodes).fill(Infinity);
    const nodeSkip = new Uint8Array(tree.nodes);
    for (let t = tree.nodes - 1; t >= 0; t--) {
      if (t >= tree.firstLeaf) {
        for (let r = tree.start[t]; r < tree.end[t]; r++) if (!skip[r]) nodeCore[t] = Math.min(nodeCore[t], core[r]);
        nodeSkip[t] = nodeCore[t] === Infinity ? 1 : 0;
      } else {
        nodeCore[t] = Math.min(nodeCore[2 * t + 1], nodeCore[2 * t + 2]);
        nodeSkip[t] = nodeSkip[2 * t + 1] & nodeSkip[2 * t + 2];
      }
    }
    while (components > 1) {
      throwIfAborted(signal);
      const comp = new Int32Array(n);
      for (let r = 0; r < n; r++) comp[r] = uf.find(r);
      const nodeComp = new Int32Array(tree.nodes);
      for (let t = tree.nodes - 1; t >= 0; t--) {
        if (t >= tree.firstLeaf) {
          const a = tree.start[t], b = tree.end[t];
          let c = b > a ? comp[a] : -2;
          for (let r = a + 1; r < b && c >= 0; r++) if (comp[r] !== c) c = -1;
          nodeComp[t] = c;
        } else {
          const l = nodeComp[2 * t + 1], r = nodeComp[2 * t + 2];
          nodeComp[t] = l === -2 ? r : r === -2 ? l : l === r ? l : -1;
        }
      }
      const state: BoruvkaState = { tree, perm, core, comp, nodeComp, nodeCore, nn, k: minSamples, tie, skip, nodeSkip };
      const parts = await ex.map(hdbscanBoruvkaOp, handle, state, { signal });
      // the lightest edge of each component over all shards, in shard order
      const best = new Map<number, [number, number, number]>();
      for (const p of parts) {
        for (let q = 0; q < p.comp.length; q++) {
          const had = best.get(p.comp[q]);
          if (!had || edgeBefore(p.weight[q], p.a[q], p.b[q], had[0], had[1], had[2])) best.set(p.comp[q], [p.weight[q], p.a[q], p.b[q]]);
        }
      }
      if (best.size === 0) throw new SegkitError('E_EXECUTOR', 'a Borůvka round found no edge between components');
      const rowOf = new Int32Array(n);
      for (let r = 0; r < n; r++) rowOf[perm[r]] = r;
      for (const c of [...best.keys()].sort((u, v) => u - v)) {
        const [w, a, b] = best.get(c)!;
        if (uf.union(rowOf[a], rowOf[b])) { edges.push(a, b, w); components--; }
      }
    }
    const coreOut = new Float64Array(n);
    for (let r = 0; r < n; r++) coreOut[perm[r]] = core[r];
    // the strict edge order: weight, then the lower row, then the higher
    const m = edges.length / 3;
    const order = Array.from({ length: m }, (_, e) => e).sort((e, f) => edges[3 * e + 2] - edges[3 * f + 2] || edges[3 * e] - edges[3 * f] || edges[3 * e + 1] - edges[3 * f + 1]);
    const out = new Float64Array(3 * m);
    order.forEach((e, r) => { out[3 * r] = edges[3 * e]; out[3 * r + 1] = edges[3 * e + 1]; out[3 * r + 2] = edges[3 * e + 2]; });
    return { edges: out, core: coreOut };
  } finally {
    await ex.release(handle);
  }
}

/**
 * Joins each group of identical rows at core distance 0 with the tree's edges between them, before the Borůvka
 * rounds: the edges of weight 0 join exactly identical rows, and in the strict order those of a group that come
 * first are the ones from its lowest row to each other (a star), which the rounds would find only after comparing
 * every pair of the group. (The rows hold float32 values: two that differ do so by 2^-149 or more, whose square
 * float64 keeps, so rows at distance 0 are identical.) Returns the unions made, and marks in `skip` every row of a
 * group but its lowest: the rounds leave them out, since from any other component an edge to the lowest row weighs
 * the same and comes first in the order (its lower row is lower, or its higher row is), and so does an edge from it.
 */
function joinIdentical(cols: readonly Float64Array[], core: Float64Array, perm: Int32Array, uf: UnionFind, edges: number[], skip: Uint8Array): number {
  const zero: number[] = [];
  for (let r = 0; r < core.length; r++) if (core[r] === 0) zero.push(r);
  const cmp = (a: number, b: number): number => {
    for (const c of cols) if (c[a] !== c[b]) return c[a] < c[b] ? -1 : 1;
    return 0;
  };
  // each group's lowest row (original numbering) first
  zero.sort((a, b) => cmp(a, b) || perm[a] - perm[b]);
  let joined = 0;
  for (let q = 1, low = zero[0]; q < zero.length; q++) {
    if (cmp(low, zero[q])) low = zero[q];
    else if (uf.union(low, zero[q])) { edges.push(perm[low], perm[zero[q]], 0); joined++; skip[zero[q]] = 1; }
  }
  return joined;
}

/** hdbscan itself, loaded where it is first called (see `hdbscanLazy.ts`, which the package exports and documents). */
export async function hdbscan(data: DataInput, options: HdbscanOptions = {}): Promise<HdbscanResult> {
  const ds = toDataset(data);
  assertResolution(ds);
  const o = check(options, ds.n);
  throwIfAborted(options.signal);
  const ex = resolveExecutor(options);
  const n = ds.n;
  const { edges, core } = await mutualReachabilityTree(ex, ds, o.minSamples, options.signal);
  const Z = n > 1 ? finishLinkage(edges, n) : new Float64Array(0);
  const tree = condenseTree(Z, n, o.minClusterSize);
  const selected = n > 1 ? selectClusters(tree, n, o.method) : [];
  const { labels, probabilities, outlierScores } = labelPoints(tree, n, selected);
  const stab = stabilities(tree, n);
  return {
    kind: 'hdbscan', k: selected.length, labels, probabilities, outlierScores, coreDistances: core, singleLinkage: Z,
    condensedTree: tree, clusterStability: Float64Array.from(selected, (c) => stab[c - n]),
    featureNames: [...ds.names], nSamples: n,
  };
}
