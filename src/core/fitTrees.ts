// The fit both tree models share: checked data and target, rows loaded once with their class codes, bins, trees
// grown in batches, and the training rows' segments.
import { SegkitError, badOption, throwIfAborted } from '../util/errors.js';
import { hashInts, poisson1 } from '../util/hash.js';
import { assertFinite, assertResolution, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { RunOptions } from '../engine/executor.js';
import { classWeights, encodeTarget, type ClassWeight, type EncodedTarget, type Target } from './classTarget.js';
import { fitBins } from './treeBins.js';
import { growTrees } from './treeGrow.js';
import { treeShardRows } from './treeOps.js';
import type { TreeNodes } from './tree.js';
import type { TreeEnsemble } from './treeEnsemble.js';
import { orDefault } from '../util/options.js';

export interface TreeOptions extends RunOptions {
  /** Deepest level of a split (default, or null as scikit-learn's None: none, grow until leaves are pure or too small). */
  maxDepth?: number;
  /** Rows each leaf keeps at least (default 1); in a bootstrap sample a row counts once, whatever its weight, as in scikit-learn. */
  minSamplesLeaf?: number;
  /** Bins per feature, 2..256 (default 256): at most that many distinct values are split exactly, as scikit-learn. */
  maxBins?: number;
  /** 'balanced' or a weight per class label. */
  classWeight?: ClassWeight;
  seed?: number;
  /** Nodes with at most this many rows are finished on the calling thread (default: when their rows cost fewer bytes than their histograms from every shard). */
  collectRows?: number;
}

/** What a model is made from: `labels` is filled with the training rows' predicted segments after. */
export interface FittedParts {
  ds: Dataset;
  target: EncodedTarget;
  trees: TreeNodes[];
  labels: Int32Array;
}

export function checkTreeOptions(o: TreeOptions): { maxDepth: number; minSamplesLeaf: number; maxBins: number; seed: number; collectRows?: number } {
  const maxDepth = o.maxDepth ?? Infinity;
  if (maxDepth !== Infinity && (!Number.isInteger(maxDepth) || maxDepth < 1)) throw badOption('maxDepth', maxDepth, 'a positive integer (or Infinity)');
  const minSamplesLeaf = orDefault(o.minSamplesLeaf, 1);
  if (!Number.isInteger(minSamplesLeaf) || minSamplesLeaf < 1) throw badOption('minSamplesLeaf', minSamplesLeaf, 'a positive integer');
  const maxBins = orDefault(o.maxBins, 256);
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 256) throw badOption('maxBins', maxBins, 'an integer from 2 to 256');
  const seed = orDefault(o.seed, 0);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer');
  if (o.collectRows !== undefined && (!Number.isInteger(o.collectRows) || o.collectRows < 0)) throw badOption('collectRows', o.collectRows, 'an integer >= 0');
  return { maxDepth, minSamplesLeaf, maxBins, seed, collectRows: o.collectRows };
}

/** Per-row bytes of the per-tree state (slot and weight) a batch may use, at most. */
const BATCH_BYTES = 64 << 20;

export async function fitTrees<M extends TreeEnsemble>(
  data: DataInput, target: Target, o: TreeOptions,
  forest: { nTrees: number; maxFeatures: number | 'sqrt' | 'log2' | 'all'; bootstrap: boolean } | null,
  make: (parts: FittedParts) => M,
): Promise<M> {
  const c = checkTreeOptions(o);
  const ds = toDataset(data);
  // a Dataset is checked when made: a value changed since to NaN or Infinity would be binned as some number
  assertFinite(ds);
  assertResolution(ds);
  const t = encodeTarget(target, ds.n);
  const cw = classWeights(o.classWeight, t);
  const d = ds.d;
  let maxFeatures = d;
  if (forest) {
    const m = forest.maxFeatures;
    maxFeatures = m === 'sqrt' ? Math.floor(Math.sqrt(d)) : m === 'log2' ? Math.floor(Math.log2(d)) : m === 'all' ? d : m;
    if (typeof m === 'number' && (!Number.isInteger(m) || m < 1 || m > d)) throw badOption('maxFeatures', m, `an integer from 1 to ${d} (the features), "sqrt", "log2" or "all"`);
    maxFeatures = Math.max(1, maxFeatures);
  }
  throwIfAborted(o.signal);
  const ex = resolveExecutor(o);
  const h = await ex.load({ columns: ds.columns, rows: { y: t.codes } }, { shardRows: treeShardRows(ds.n), signal: o.signal });
  try {
    const bins = await fitBins(ex, h, c.maxBins, c.seed, o.signal);
    const nTrees = forest?.nTrees ?? 1;
    const bootstrap = forest?.bootstrap ?? false;
    const batch = Math.max(1, Math.min(nTrees, 32, Math.floor(BATCH_BYTES / (8 * ds.n))));
    const trees: TreeNodes[] = [];
    for (let at = 0; at < nTrees; at += batch) {
      // each batch's seeds when it starts: work and memory follow the trees grown so far, and a signal stops the fit
      // between batches whatever nTrees asks for
      const seeds = Int32Array.from({ length: Math.min(nTrees, at + batch) - at }, (_, q) => {
        const s = hashInts(c.seed, at + q, 11) | 0;
        return bootstrap ? sampledSeed(s, ds.n) : s;
      });
      const grown = await growTrees(ex, h, {
        C: t.classes.length, classWeight: cw, minSamplesLeaf: c.minSamplesLeaf, d, maxDepth: c.maxDepth, minSamplesSplit: 2,
        maxFeatures, bootstrap, collectRows: c.collectRows,
      }, bins, seeds, o.signal);
      trees.push(...grown);
    }
    if (trees.length === 0) throw new SegkitError('E_BAD_OPTION', 'no tree was grown');
    const labels = new Int32Array(ds.n);
    const model = make({ ds, target: t, trees, labels });
    const { codes } = await model.predictLoaded(ex, h, false, o.signal);
    for (let i = 0; i < codes.length; i++) labels[i] = t.classes[codes[i]];
    return model;
  } finally {
    await ex.release(h);
  }
}

/**
 * A tree's seed whose bootstrap sample holds a row. Each row's weight is Poisson(1) from (seed, row) (tree.grow), so
 * every weight is 0 with probability e^-n: on a few rows, some trees of a forest would have no row at all, and no
 * root. Such a seed gives way to the next of a fixed sequence, so the forest is the same on every executor; the scan
 * stops at the first row in the sample (about 1.6 rows a tree).
 */
export function sampledSeed(seed: number, n: number): number {
  for (let s = seed, k = 1; ; s = hashInts(seed, k++, 13) | 0) {
    for (let i = 0; i < n; i++) if (poisson1(hashInts(s, i)) > 0) return s;
  }
}
