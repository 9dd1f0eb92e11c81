import { checkOptions } from '../util/options.js';
import { badModel } from '../util/modelJson.js';
import type { DataInput } from '../data/dataset.js';
import type { Target } from './classTarget.js';
import type { TreeOptions } from './fitTrees.js';
import { readTree, treeToJSON } from './tree.js';
import { readEnsembleHeader, TreeEnsemble } from './treeEnsemble.js';
import type { ModelJSON } from './model.js';

export interface TreeModelJSON extends ModelJSON {
  kind: 'tree';
  version: 1;
  classes: number[];
  classNames: string[] | null;
  nSamples: number;
  tree: Record<string, unknown>;
}

/** A fitted classification tree: the result of `decisionTree`, or loaded with `loadModel`. */
export class TreeModel extends TreeEnsemble {
  readonly kind = 'tree' as const;

  /** The tree's arrays (scikit-learn's `tree_` layout, nodes in preorder). */
  get tree() {
    return this.trees[0];
  }

  toJSON(): TreeModelJSON {
    return { ...this.baseJSON(), tree: treeToJSON(this.tree, this.nClasses) } as TreeModelJSON;
  }

  /** Loads a model saved with `toJSON` (an object or JSON text), checking every field. */
  static fromJSON(json: unknown): TreeModel {
    const h = readEnsembleHeader(json, 'tree', ['tree']);
    const tree = readTree(h.r.tree, 'tree', h.classes.length, h.featureNames.length);
    // a single tree is grown on every training row (a forest's trees on bootstrap samples)
    if (tree.count[0] !== h.nSamples) throw badModel('tree.count[0]', `must be nSamples (${h.nSamples}): the root holds every training row, got ${tree.count[0]}`);
    return new TreeModel({ ...h, trees: [tree], labels: new Int32Array(0) });
  }
}

const TREE_OPTIONS = ['maxDepth', 'minSamplesLeaf', 'maxBins', 'classWeight', 'seed', 'collectRows', 'executor', 'threads', 'signal'] as const;

/**
 * A CART classification tree (Gini) grown on binned features as shard ops: per-node class histograms per
 * feature bin are the partials, so it runs on any executor and gives the same tree on each. Features with at
 * most `maxBins` distinct values are split exactly where scikit-learn's DecisionTreeClassifier splits them (except
 * between values less than 1e-7 apart, which scikit-learn never splits, at nodes its rounding leaves impure by
 * about 1e-16, and, with class weights, between thresholds equally good in exact arithmetic, where its sums may pick
 * the later one); others at bin edges. Ties between thresholds go to the first, and between features to the first feature.
 * @example
 * const tree = await decisionTree(customers, segments, { maxDepth: 3 });
 * tree.rules().map((r) => r.text); // "income > 70.2 and spending <= 40 -> segment 2: 96% of 180 customers"
 */
export async function decisionTree(data: DataInput, target: Target, options: TreeOptions = {}): Promise<TreeModel> {
  checkOptions(options, TREE_OPTIONS, 'decisionTree');
  // the growing code is loaded where a tree is first fitted: an entry that only scores does not carry it
  const { fitTrees } = await import('./fitTrees.js');
  return fitTrees(data, target, options, null, (p) => new TreeModel({
    k: p.target.k, featureNames: p.ds.names, classes: p.target.classes, classNames: p.target.classNames,
    trees: p.trees, labels: p.labels, nSamples: p.ds.n,
  }));
}
