// Finishing small tree nodes in parallel: their rows, sent back by a level pass, are loaded as a dataset of jobs
// (whole jobs per shard) and each shard finishes its jobs' subtrees. A subtree is the same wherever it grows.
import { rowValues } from '../kernels/shard.js';
import { defineOp } from '../engine/shardOp.js';
import type { Executor } from '../engine/executor.js';
import { Build, growLocal, type BinInfo, type GrowParams, type LocalRows, type Rows, type SubtreeNodes } from './treeLocal.js';
import { nodeCount, type TreeNodes } from './tree.js';

/** Everything a subtree needs, as plain numbers and typed arrays. */
export interface LocalState {
  C: number;
  d: number;
  classWeight: Float64Array;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  /** -1: no limit. */
  maxDepth: number;
  maxFeatures: number;
  nBins: Int32Array;
  /** Per feature, 256 slots: its edges, and its bin values (NaN: none). */
  edges: Float64Array;
  values: Float64Array;
  /** Per job: first row in the dataset, rows, tree seed, depth, path key, raw class totals (NaN: count them). */
  start: Int32Array;
  rows: Int32Array;
  seed: Int32Array;
  depth: Int32Array;
  key: Float64Array;
  totals: Float64Array;
}

/**
 * Per job of the shard (its index), the subtree's nodes back to back: node 0 is the job's node. A job that is a whole
 * tree (a root not made yet) comes back finished (`whole` 1: preorder numbering, leaves' children -1, `impurity` set).
 */
export interface LocalPartial extends SubtreeNodes {
  job: Int32Array;
  size: Int32Array;
  whole: Uint8Array;
  impurity: Float64Array;
}

export function paramsOf(s: LocalState): { p: GrowParams; bins: BinInfo } {
  const d = s.d;
  const edges = Array.from({ length: d }, (_, j) => s.edges.slice(j * 256, j * 256 + s.nBins[j] - 1));
  const binValue = Array.from({ length: d }, (_, j) => (Number.isNaN(s.values[j * 256]) ? null : s.values.slice(j * 256, j * 256 + s.nBins[j])));
  return {
    p: {
      C: s.C, d, classWeight: s.classWeight, minSamplesLeaf: s.minSamplesLeaf, minSamplesSplit: s.minSamplesSplit,
      maxDepth: s.maxDepth < 0 ? Infinity : s.maxDepth, maxFeatures: s.maxFeatures, bootstrap: false,
    },
    bins: { nBins: s.nBins, edges, binValue },
  };
}

export const growLocalOp = defineOp<LocalState, LocalPartial>({
  name: 'tree.growLocal',
  run(sh, s) {
    const { p, bins } = paramsOf(s);
    const { C, d } = s;
    const W = Math.ceil(d / 4);
    const y = rowValues(sh, 'y', 'i32'), w = rowValues(sh, 'w', 'i32');
    // each word holds four features' bins, one byte each (little-endian: feature 4q + b is byte b of word q)
    const bytes = Array.from({ length: W }, (_, q) => {
      const a = rowValues(sh, `b${q}`, 'i32');
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    });
    const jobs: number[] = [], grown: (Build | TreeNodes)[] = [];
    const left = new Float64Array(C);
    for (let j = 0; j < s.start.length; j++) {
      const at = s.start[j] - sh.start;
      if (at < 0 || at >= sh.rows) continue;
      const m = s.rows[j];
      const rows: LocalRows = { bins: new Uint8Array(m * d), y: y.slice(at, at + m), w: w.slice(at, at + m) };
      for (let f = 0; f < d; f++) {
        const src = bytes[f >> 2], to = rows.bins;
        for (let i = 0, from = 4 * at + (f & 3), o = f * m; i < m; i++, from += 4) to[o + i] = src[from];
      }
      const build = new Build(C);
      const known = !Number.isNaN(s.totals[j * C]);
      const totals = known ? s.totals.slice(j * C, (j + 1) * C) : null;
      // the job's own node first (node 0), so the caller can graft the subtree under its node
      const node = totals ? build.add(totals, p.classWeight) : -1;
      growLocal({ p, bins, build, seed: s.seed[j], left }, { depth: s.depth[j], key: s.key[j], node, totals }, rows);
      jobs.push(j);
      // a whole tree is finished here, in parallel, rather than on the caller
      grown.push(s.depth[j] === 0 && !known ? build.finish() : build);
    }
    const sizeOf = (g: Build | TreeNodes) => (g instanceof Build ? g.size : nodeCount(g));
    let total = 0;
    for (const g of grown) total += sizeOf(g);
    const out: LocalPartial = {
      job: Int32Array.from(jobs), size: Int32Array.from(grown, sizeOf), whole: Uint8Array.from(grown, (g) => (g instanceof Build ? 0 : 1)),
      impurity: new Float64Array(total), feature: new Int32Array(total),
      threshold: new Float64Array(total), left: new Int32Array(total), right: new Int32Array(total),
      value: new Float64Array(total * C), count: new Float64Array(total),
    };
    let at = 0;
    for (const g of grown) {
      const n = sizeOf(g);
      out.feature.set(g.feature.subarray(0, n), at);
      out.threshold.set(g.threshold.subarray(0, n), at);
      out.left.set(g.left.subarray(0, n), at);
      out.right.set(g.right.subarray(0, n), at);
      out.value.set(g.value.subarray(0, n * C), at * C);
      out.count.set(g.count.subarray(0, n), at);
      if (!(g instanceof Build)) out.impurity.set(g.impurity, at);
      at += n;
    }
    return out;
  },
}, import.meta.url);

/** A job to finish: the node it starts at, in which tree, and its rows. */
export interface LocalTask {
  readonly build: Build;
  readonly seed: number;
  readonly depth: number;
  readonly key: number;
  readonly node: number;
  readonly totals: Float64Array | null;
  readonly rows: Rows;
}

/** Rows per shard of a jobs dataset (a job is never split; a larger job gets a shard of its own size). */
const JOB_SHARD_ROWS = 16_384;

/**
 * Finishes every task's subtree on the executor, in parallel across shards, and grafts each under its node.
 * The result is the same as finishing them one by one on the caller.
 */
export async function growLocalJobs(ex: Executor, p: GrowParams, bins: BinInfo, tasks: readonly LocalTask[], signal?: AbortSignal): Promise<void> {
  if (tasks.length === 0) return;
  const { C, d } = p;
  const W = Math.ceil(d / 4);
  const biggest = Math.max(...tasks.map((t) => t.rows.y.length));
  const shardRows = Math.max(JOB_SHARD_ROWS, Math.ceil(biggest / 16) * 16);
  // whole jobs per shard: a job that would cross a shard boundary starts the next shard
  const start = new Int32Array(tasks.length);
  let at = 0;
  tasks.forEach((t, j) => {
    const m = t.rows.y.length;
    if (Math.floor(at / shardRows) !== Math.floor((at + m - 1) / shardRows)) at = Math.ceil(at / shardRows) * shardRows;
    start[j] = at;
    at += m;
  });
  const n = Math.max(at, 1);
  const y = new Int32Array(n), w = new Int32Array(n);
  const words = Array.from({ length: W }, () => new Int32Array(n));
  tasks.forEach((t, j) => {
    const m = t.rows.y.length, s0 = start[j];
    y.set(t.rows.y, s0);
    w.set(t.rows.w, s0);
    for (let k = 0; k < W; k++) {
      const to = words[k], src = t.rows.words;
      for (let i = 0, from = k; i < m; i++, from += W) to[s0 + i] = src[from];
    }
  });
  const edges = new Float64Array(d * 256), values = new Float64Array(d * 256).fill(Number.NaN);
  for (let j = 0; j < d; j++) {
    edges.set(bins.edges[j], j * 256);
    if (bins.binValue[j]) values.set(bins.binValue[j]!, j * 256);
  }
  const totals = new Float64Array(tasks.length * C).fill(Number.NaN);
  tasks.forEach((t, j) => t.totals && totals.set(t.totals, j * C));
  const state: LocalState = {
    C, d, classWeight: p.classWeight, minSamplesLeaf: p.minSamplesLeaf, minSamplesSplit: p.minSamplesSplit,
    maxDepth: p.maxDepth === Infinity ? -1 : p.maxDepth, maxFeatures: p.maxFeatures, nBins: bins.nBins, edges, values,
    start, rows: Int32Array.from(tasks, (t) => t.rows.y.length), seed: Int32Array.from(tasks, (t) => t.seed),
    depth: Int32Array.from(tasks, (t) => t.depth), key: Float64Array.from(tasks, (t) => t.key), totals,
  };
  const rowInputs: Record<string, Int32Array> = { y, w };
  words.forEach((a, q) => (rowInputs[`b${q}`] = a));
  const h = await ex.load({ columns: [new Float32Array(n)], rows: rowInputs }, { shardRows, signal });
  let parts: LocalPartial[];
  try {
    parts = await ex.map(growLocalOp, h, state, { signal });
  } finally {
    await ex.release(h);
  }
  for (const part of parts) {
    let base = 0;
    part.job.forEach((j, q) => {
      const t = tasks[j], n = part.size[q];
      if (part.whole[q]) {
        const cut = <A extends Int32Array | Float64Array>(a: A, per = 1): A => a.subarray(base * per, (base + n) * per) as A;
        t.build.adopt({
          feature: cut(part.feature), threshold: cut(part.threshold), left: cut(part.left), right: cut(part.right),
          value: cut(part.value, C), count: cut(part.count), impurity: cut(part.impurity),
        });
      } else t.build.graft(part, base, n, t.node);
      base += n;
    });
  }
}
