// minSamplesLeaf under bootstrap: scikit-learn 1.2.1 fits each tree of a RandomForestClassifier with the bootstrap
// counts as sample weights, and compares min_samples_leaf (and min_samples_split) with the node's distinct samples,
// n_node_samples, while the impurity weighs them. A row drawn three times is one sample of weight 3.
import { afterAll, describe, expect, it } from 'vitest';
import { close, inlineExecutor, randomForest } from '../src/index.js';
import { sampledSeed } from '../src/core/fitTrees.js';
import { scanFeature } from '../src/core/treeSplit.js';
import { stopsAsLeaf } from '../src/core/treeLocal.js';
import { hashInts, poisson1 } from '../src/util/hash.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});

const n = 40;
const x = Float32Array.from({ length: n }, (_, i) => i);
const y = Array.from({ length: n }, (_, i) => (i % 7 < 2 || i % 11 === 5 ? 1 : 0));
// the Poisson(1) bootstrap weights of the one tree of a forest with seed 3 (tree.grow: (tree seed, row))
const weights = [2, 1, 0, 1, 3, 0, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 2, 0, 3, 0, 0, 2, 3, 1, 2, 1, 3, 0, 0, 1, 1, 0, 0, 0, 1, 0, 2, 2];

// DecisionTreeClassifier(min_samples_leaf=3, random_state=0).fit(X, y, sample_weight=weights) with X = [x, 5] as
// float32 (the second feature constant): the tree's arrays in preorder. Counting weights instead (the same fit on the
// rows repeated by their weights) gives 15 nodes and 5 different predictions.
const sk = {
  feature: [0, 0, 0, -2, -2, -2, 0, -2, -2],
  threshold: [26.5, 16.0, 6.5, null, null, null, 31.5, null, null],
  left: [1, 2, 3, -1, -1, -1, 7, -1, -1],
  right: [6, 5, 4, -1, -1, -1, 8, -1, -1],
  value: [[25, 15], [21, 8], [7, 8], [6, 3], [1, 5], [14, 0], [4, 7], [1, 4], [3, 3]],
  weighted: [40, 29, 15, 9, 6, 14, 11, 5, 6],
  pred: [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
};

describe('random forest: minSamplesLeaf counts distinct rows, not bootstrap weights', () => {
  it('the bootstrap draw the test is built on', () => {
    const seed = sampledSeed(hashInts(3, 0, 11) | 0, n);
    expect(Array.from({ length: n }, (_, i) => poisson1(hashInts(seed, i)))).toEqual(weights);
  });

  // level passes (collectRows 0: histograms, the larger child derived when every feature is scored) and rows finished
  // on one thread (the default here); every feature or one drawn per node (the constant one never splits)
  for (const [maxFeatures, collectRows] of [['all', 0], ['all', undefined], [1, 0], [1, undefined]] as const) {
    it(`one tree equals scikit-learn's fit with the bootstrap counts as weights (maxFeatures ${maxFeatures}, collectRows ${collectRows})`, async () => {
      const m = await randomForest({ columns: [x, new Float32Array(n).fill(5)] }, y, {
        nTrees: 1, seed: 3, minSamplesLeaf: 3, maxFeatures, collectRows, executor: ex,
      });
      const t = m.trees[0];
      expect(Array.from(t.feature)).toEqual(sk.feature.map((f) => (f < 0 ? -1 : f)));
      expect(Array.from(t.left)).toEqual(sk.left);
      expect(Array.from(t.right)).toEqual(sk.right);
      sk.threshold.forEach((v, i) => v !== null && expect(t.threshold[i], `node ${i}`).toBe(v));
      expect(Array.from(t.value)).toEqual(sk.value.flat());
      expect(Array.from(t.count)).toEqual(sk.weighted);
      expect(Array.from(m.labels)).toEqual(sk.pred);
    });
  }

  it('the split search and the stopping rule read rows where they are given, weights where not', () => {
    // bins of one row each: class 1 of weight 3, then two of class 0 of weight 1
    const ids = Int32Array.of(0, 1, 2), counts = Float64Array.of(0, 3, 1, 0, 1, 0), totals = Float64Array.of(2, 3);
    const p = { C: 2, classWeight: Float64Array.of(1, 1), minSamplesLeaf: 2 };
    // by weight the pure left side (weight 3) may be a leaf
    expect(scanFeature(p, 0, ids, counts, 3, totals, null, new Float64Array(2))).toMatchObject({ binLeft: 0, binRight: 1, leftRows: 3 });
    // by rows no side of any threshold holds 2 rows on both sides
    expect(scanFeature(p, 0, ids, counts, 3, totals, null, new Float64Array(2), undefined, false, Float64Array.of(1, 1, 1), 3)).toBeNull();
    // one row per bin but weight 1: the same split, with its row count
    expect(scanFeature(p, 0, ids, Float64Array.of(0, 2, 1, 0, 1, 0), 3, Float64Array.of(2, 2), null, new Float64Array(2), undefined, false, Float64Array.of(2, 1, 1), 4))
      .toMatchObject({ binLeft: 0, binRight: 1, leftRows: 2 });
    const g = { ...p, d: 1, maxDepth: Infinity, minSamplesSplit: 2, maxFeatures: 1, bootstrap: true };
    // 3 rows of weight 5 stop before a split with minSamplesLeaf 2 (scikit-learn: n_node_samples < 2 * min_samples_leaf)
    expect(stopsAsLeaf(g, totals, 0, 3)).toBe(true);
    expect(stopsAsLeaf(g, totals, 0, 4)).toBe(false);
  });
});
