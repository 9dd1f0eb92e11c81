// decisionTree against scikit-learn 1.2.1's DecisionTreeClassifier on the same float32 data (fixtures from
// generate.py): same splits, thresholds, node counts, values, impurities, importances, predictions and probabilities.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { close, decisionTree, inlineExecutor, type TreeModel } from '../src/index.js';
import { featureEdges } from '../src/core/treeBins.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});

interface SkTree {
  node_count: number;
  feature: number[];
  threshold: number[];
  children_left: number[];
  children_right: number[];
  value: number[][];
  n_node_samples: number[];
  impurity: number[];
}
interface Candidates { node: number; per_feature: ([number, number] | null)[]; tied_features: number[] }

const load = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

/** Importances by scikit-learn's formula from a tree's arrays, with each split's feature as `featureOf` says. */
function importancesOf(t: SkTree, d: number, featureOf: (node: number) => number): number[] {
  const w = (i: number) => t.value[i].reduce((a, b) => a + b, 0);
  const out = new Array(d).fill(0);
  for (let i = 0; i < t.node_count; i++) {
    if (t.children_left[i] < 0) continue;
    const l = t.children_left[i], r = t.children_right[i];
    out[featureOf(i)] += w(i) * t.impurity[i] - w(l) * t.impurity[l] - w(r) * t.impurity[r];
  }
  const sum = out.reduce((a, b) => a + b / w(0), 0);
  return out.map((v) => v / w(0) / sum);
}

/** Node by node against scikit-learn's tree (both in preorder); ties between features go to the lowest index. */
function sameTree(m: TreeModel, sk: SkTree, candidates: Candidates[], C: number): void {
  const t = m.tree;
  expect(t.feature.length).toBe(sk.node_count);
  const byNode = new Map(candidates.map((c) => [c.node, c]));
  for (let i = 0; i < sk.node_count; i++) {
    expect(t.left[i], `node ${i} left`).toBe(sk.children_left[i]);
    expect(t.right[i], `node ${i} right`).toBe(sk.children_right[i]);
    expect(t.count[i], `node ${i} rows`).toBe(sk.n_node_samples[i]);
    for (let c = 0; c < C; c++) expect(t.value[i * C + c]).toBeCloseTo(sk.value[i][c], 9);
    expect(t.impurity[i]).toBeCloseTo(sk.impurity[i], 12);
    if (sk.children_left[i] < 0) {
      expect(t.feature[i]).toBe(-1);
      continue;
    }
    const cand = byNode.get(i)!;
    const f = t.feature[i];
    expect(cand.tied_features, `node ${i}`).toContain(f);
    expect(f, `node ${i}: the first of the tied features`).toBe(Math.min(...cand.tied_features));
    // the threshold scikit-learn takes for that feature on this node's rows
    expect(t.threshold[i], `node ${i} threshold`).toBe(cand.per_feature[f]![1]);
    if (cand.tied_features.length === 1) expect(t.threshold[i]).toBe(sk.threshold[i]);
  }
}

describe('decisionTree matches scikit-learn DecisionTreeClassifier', () => {
  for (const name of ['tree-iris', 'tree-wine']) {
    it(`${name}, max_depth 3: splits, thresholds, counts, importances, predictions, probabilities`, async () => {
      const fx = load(name);
      const C = fx.classes.length;
      const m = await decisionTree(fx.X, fx.y, { maxDepth: 3, executor: ex });
      sameTree(m, fx.tree, fx.split_candidates, C);
      expect(Array.from(await m.predict(fx.X, { executor: ex }))).toEqual(fx.predict);
      expect(Array.from(m.labels)).toEqual(fx.predict);
      const proba = await m.predictProba(fx.X, { executor: ex });
      expect(proba).toHaveLength(fx.predict_proba.length * C);
      fx.predict_proba.forEach((row: number[], i: number) => row.forEach((p, c) => expect(proba[i * C + c]).toBeCloseTo(p, 12)));
      // importances: scikit-learn's formula on its own tree, with tied splits credited to the feature chosen here
      const want = importancesOf(fx.tree, fx.X[0].length, (i) => m.tree.feature[i]);
      expect(m.featureImportances).toHaveLength(want.length);
      Array.from(m.featureImportances).forEach((v, j) => expect(v).toBeCloseTo(want[j], 12));
      if (fx.split_candidates.every((c: Candidates) => c.tied_features.length === 1 || Math.min(...c.tied_features) === fx.tree.feature[c.node])) {
        Array.from(m.featureImportances).forEach((v, j) => expect(v).toBeCloseTo(fx.feature_importances[j], 12));
      }
    });
  }

  it('iris: the one tie at the root (petal length or width, the same rows) is the only difference', async () => {
    const fx = load('tree-iris');
    const root = fx.split_candidates[0] as Candidates;
    expect(root.tied_features).toEqual([2, 3]);
    expect(fx.tree.feature[0]).toBe(3);
    const m = await decisionTree(fx.X, fx.y, { maxDepth: 3, executor: ex });
    expect(m.tree.feature[0]).toBe(2);
    expect(m.tree.threshold[0]).toBe(2.449999988079071);
  });

  it('class weights, two thresholds equally good in exact arithmetic: segkit keeps the first, scikit-learn\'s sums pick the later', async () => {
    const fx = load('tree-weighted-tie');
    // 1.5 and 5.5 split off mirror images: the same proxy (-16/5) in exact arithmetic, the best of all
    const best = fx.exact_proxies.filter((p: { proxy: string }) => p.proxy === '-16/5').map((p: { threshold: number }) => p.threshold);
    expect(best).toEqual([1.5, 5.5]);
    expect(fx.stump_threshold).toBe(5.5);
    const stump = await decisionTree(fx.X, fx.y, { maxDepth: 1, classWeight: 'balanced', executor: ex });
    expect(stump.tree.threshold[0]).toBe(1.5);
    // grown out, both trees put every row in its own class and give x all the importance
    const full = await decisionTree(fx.X, fx.y, { classWeight: 'balanced', executor: ex });
    expect(Array.from(await full.predict(fx.X, { executor: ex }))).toEqual(fx.full_predict);
    expect(Array.from(full.featureImportances)).toEqual(fx.full_importances);
  });

  it('class weights, a leaf whose two classes weigh the same in exact arithmetic: segkit predicts the first, scikit-learn\'s sums the other', async () => {
    const fx = load('tree-weighted-tie');
    // 11 rows of class 0 at 26/22 and 15 of class 1 at 26/30: 13 each, which scikit-learn sums to 13.000000000000005 for class 1
    expect(fx.leaf_value).toEqual([13, 13.000000000000005]);
    expect(fx.leaf_predict).toBe(1);
    const X = fx.leaf_y.map(() => [1]);
    const m = await decisionTree(X, fx.leaf_y, { classWeight: 'balanced', executor: ex });
    expect(Array.from(m.tree.value)).toEqual([13, 13]);
    expect(Array.from(await m.predictProba([[1]], { executor: ex }))).toEqual([0.5, 0.5]);
    expect(Array.from(await m.predict([[1]], { executor: ex }))).toEqual([0]);
  });

  const classify = load('tree-classify');
  for (const [key, options] of [['balanced', { maxDepth: 3, classWeight: 'balanced' as const }], ['leaf10', { maxDepth: 5, minSamplesLeaf: 10 }]] as const) {
    it(`make_classification, ${key}: the same tree, importances and probabilities`, async () => {
      const c = classify.cases[key];
      const m = await decisionTree(classify.X, classify.y, { ...options, executor: ex });
      sameTree(m, c.tree, c.split_candidates, 3);
      const want = importancesOf(c.tree, 6, (i) => m.tree.feature[i]);
      expect(m.featureImportances).toHaveLength(want.length);
      Array.from(m.featureImportances).forEach((v, j) => expect(v).toBeCloseTo(want[j], 12));
      if (c.split_candidates.every((s: Candidates) => s.tied_features.length === 1)) {
        Array.from(m.featureImportances).forEach((v, j) => expect(v).toBeCloseTo(c.feature_importances[j], 12));
      }
      expect(Array.from(await m.predict(classify.X, { executor: ex }))).toEqual(c.predict);
      const proba = await m.predictProba(classify.X, { executor: ex });
      expect(proba).toHaveLength(c.predict_proba.length * 3);
      c.predict_proba.forEach((row: number[], i: number) => row.forEach((p, k) => expect(proba[i * 3 + k]).toBeCloseTo(p, 12)));
    });
  }

  it('more rows than the bins are sampled from: a feature of few values still splits at the midpoint of the values either side', async () => {
    const fx = load('tree-sampled-bins');
    const n = 210_000;
    const X: number[][] = [], y: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = i % 2, h = Math.floor(i / 2), b = a === 0 ? [0, 1, 8, 9][h % 4] : 2 + (h % 6), c = (h * 7) % 5;
      X.push([a, b, c]);
      y.push(i % 11 === 0 && c === 3 ? 1 : a === 0 ? +(b > 4) : 2);
    }
    const sk: SkTree = fx.tree;
    for (const run of [{ executor: ex }, { threads: 2 }]) {
      const m = await decisionTree(X, y, { maxDepth: 3, ...run });
      const t = m.tree;
      expect(Array.from(t.feature)).toEqual(sk.feature.map((f) => (f < 0 ? -1 : f)));
      expect(Array.from(t.left)).toEqual(sk.children_left);
      expect(Array.from(t.count)).toEqual(sk.n_node_samples);
      // a = 0 holds b in 0, 1, 8, 9: scikit-learn splits it at 4.5, not at the sample's edge after 1 (1.5)
      expect(t.threshold[1]).toBe(4.5);
      sk.feature.forEach((f, i) => f >= 0 && expect(t.threshold[i], `node ${i}`).toBe(sk.threshold[i]));
      Array.from(m.featureImportances).forEach((v, j) => expect(v).toBeCloseTo(fx.feature_importances[j], 12));
      expect(Array.from(await m.predict(fx.probe, run))).toEqual(fx.predict);
      const proba = await m.predictProba(fx.probe, run);
      fx.predict_proba.forEach((row: number[], i: number) => row.forEach((p, c) => expect(proba[i * 3 + c]).toBeCloseTo(p, 12)));
    }
  });

  it('more distinct values than bins: the same features, the root within a bin width, as good a split, the same predictions', async () => {
    const fx = load('tree-binned');
    const m = await decisionTree(fx.X, fx.y, { maxDepth: 3, executor: ex });
    const sk: SkTree = fx.tree;
    const X: number[][] = fx.X, y: number[] = fx.y;
    expect(Array.from(m.tree.feature)).toEqual(sk.feature.map((f) => (f < 0 ? -1 : f)));
    // scikit-learn's rows at each of its nodes, and the Gini proxy of a threshold on them
    const rows = new Map<number, number[]>([[0, X.map((_, i) => i)]]);
    const proxy = (r: number[], f: number, thr: number) => {
      const l = [0, 0, 0], t = [0, 0, 0];
      for (const i of r) { t[y[i]]++; if (X[i][f] <= thr) l[y[i]]++; }
      const side = (v: number[]) => { const w = v[0] + v[1] + v[2]; return w === 0 ? 0 : -w * (1 - (v[0] ** 2 + v[1] ** 2 + v[2] ** 2) / (w * w)); };
      return side(l) + side(t.map((v, c) => v - l[c]));
    };
    for (let i = 0; i < sk.node_count; i++) {
      const f = sk.feature[i];
      if (f < 0) continue;
      const r = rows.get(i)!;
      rows.set(sk.children_left[i], r.filter((q) => X[q][f] <= sk.threshold[i]));
      rows.set(sk.children_right[i], r.filter((q) => X[q][f] > sk.threshold[i]));
      // bins are equal shares of all rows: a deeper node has fewer rows per bin, and a flat gain can peak a few bins away
      const best = proxy(r, f, sk.threshold[i]);
      expect(proxy(r, f, m.tree.threshold[i]), `node ${i}`).toBeGreaterThanOrEqual(best - 0.02 * Math.abs(best));
      if (i === 0) {
        const col = Float32Array.from(X.map((row) => row[f])).sort();
        const { edges } = featureEdges(col, 256);
        expect(edges.length).toBe(255);
        const b = edges.findIndex((e) => e >= sk.threshold[0]);
        expect(Math.abs(m.tree.threshold[0] - sk.threshold[0])).toBeLessThanOrEqual(edges[b] - edges[b - 1]);
      }
    }
    const pred = await m.predict(fx.X, { executor: ex });
    expect(pred).toHaveLength(fx.predict.length);
    let same = 0;
    pred.forEach((p, i) => (same += p === fx.predict[i] ? 1 : 0));
    expect(same / pred.length).toBeGreaterThanOrEqual(0.995);
  });
});
