import { badOption } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { badModel, readArray } from '../util/modelJson.js';
import type { DataInput } from '../data/dataset.js';
import type { Target } from './classTarget.js';
import type { TreeOptions } from './fitTrees.js';
import { readTree, treeToJSON } from './tree.js';
import { readEnsembleHeader, TreeEnsemble } from './treeEnsemble.js';
import type { ModelJSON } from './model.js';

export interface ForestModelJSON extends ModelJSON {
  kind: 'forest';
  version: 1;
  classes: number[];
  classNames: string[] | null;
  nSamples: number;
  trees: Record<string, unknown>[];
}

/** A fitted random forest: the result of `randomForest`, or loaded with `loadModel`. */
export class ForestModel extends TreeEnsemble {
  readonly kind = 'forest' as const;

  toJSON(): ForestModelJSON {
    return { ...this.baseJSON(), trees: this.trees.map((t) => treeToJSON(t, this.nClasses)) } as ForestModelJSON;
  }

  /** Loads a model saved with `toJSON` (an object or JSON text), checking every field. */
  static fromJSON(json: unknown): ForestModel {
    const h = readEnsembleHeader(json, 'forest', ['trees']);
    // Array.from reads a hole as undefined (refused) where map would keep it
    const trees = Array.from(readArray(h.r.trees, 'trees'), (t, i) => readTree(t, `trees[${i}]`, h.classes.length, h.featureNames.length));
    if (trees.length === 0) throw badModel('trees', 'must hold at least one tree');
    // each tree grew on every row or on a bootstrap sample, Poisson(1) rows each: ten standard deviations of nSamples
    const n = h.nSamples, lo = Math.max(1, Math.ceil(n - 10 * Math.sqrt(n) - 10)), hi = Math.floor(n + 10 * Math.sqrt(n) + 10);
    trees.forEach((t, i) => {
      if (!(t.count[0] >= lo && t.count[0] <= hi)) throw badModel(`trees[${i}].count[0]`, `must be from ${lo} to ${hi} (nSamples ${n}), got ${t.count[0]}`);
    });
    return new ForestModel({ ...h, trees, labels: new Int32Array(0) });
  }
}

export interface ForestOptions extends TreeOptions {
  /** Trees (default 100). */
  nTrees?: number;
  /** Features tried per split: 'sqrt' (default), 'log2', 'all' or a number. */
  maxFeatures?: number | 'sqrt' | 'log2' | 'all';
  /** Each tree sees a bootstrap sample (default true): Poisson(1) row weights derived from (seed, tree, row). */
  bootstrap?: boolean;
}

const FOREST_OPTIONS = ['nTrees', 'maxFeatures', 'bootstrap', 'maxDepth', 'minSamplesLeaf', 'maxBins', 'classWeight', 'seed', 'collectRows', 'executor', 'threads', 'signal'] as const;

/**
 * A random forest (Breiman 2001) of histogram CART trees: each tree sees a bootstrap sample (Poisson(1) weight per
 * row, drawn from the seed, the tree and the row, so every executor draws the same) and tries a random subset of
 * features at each split; trees grow in batches, level by level, in shared passes. Segments are the argmax of the
 * trees' summed leaf probabilities. The same seed gives the same forest on any executor and thread count.
 * @example
 * const forest = await randomForest(customers, segments, { nTrees: 100, seed: 1 });
 * const next = await forest.predict(newCustomers);
 */
export async function randomForest(data: DataInput, target: Target, options: ForestOptions = {}): Promise<ForestModel> {
  checkOptions(options, FOREST_OPTIONS, 'randomForest');
  const nTrees = orDefault(options.nTrees, 100);
  if (!Number.isInteger(nTrees) || nTrees < 1) throw badOption('nTrees', nTrees, 'a positive integer');
  const maxFeatures = orDefault(options.maxFeatures, 'sqrt');
  if (typeof maxFeatures !== 'number' && !['sqrt', 'log2', 'all'].includes(maxFeatures)) throw badOption('maxFeatures', maxFeatures, '"sqrt", "log2", "all" or a number of features');
  const bootstrap = orDefault(options.bootstrap, true);
  if (typeof bootstrap !== 'boolean') throw badOption('bootstrap', bootstrap, 'true or false');
  // the growing code is loaded where a tree is first fitted: an entry that only scores does not carry it
  const { fitTrees } = await import('./fitTrees.js');
  return fitTrees(data, target, options, { nTrees, maxFeatures, bootstrap }, (p) => new ForestModel({
    k: p.target.k, featureNames: p.ds.names, classes: p.target.classes, classNames: p.target.classNames,
    trees: p.trees, labels: p.labels, nSamples: p.ds.n,
  }));
}
