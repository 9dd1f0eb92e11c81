// Why one customer is in its segment (centroid gaps, decision paths, TreeSHAP against a brute-force Shapley
// twin), permutation importance, rules for a segmentation, and segment composition.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Binary, Utf8, tableFromArrays, vectorFromArray } from 'apache-arrow';
import {
  close, createRandom, decisionTree, explainAssignment, ForestModel, inlineExecutor, kmeans, permutationImportance, pipeline, randomForest,
  segmentComposition, SegmentModel, segmentRules, treeShap,
} from '../src/index.js';
import { rulePercent } from '../src/core/treeEnsemble.js';
import { bruteShapley } from './twins/shapley.js';
import { failure } from './helpers.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});
const iris = JSON.parse(readFileSync(new URL('./fixtures/tree-iris.json', import.meta.url), 'utf8'));
const X: number[][] = iris.X;
const y: number[] = iris.y;
const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const data = { columns: names.map((_, j) => Float32Array.from(X, (r) => r[j])), names };

describe('explainAssignment', () => {
  it('k-means: contributions sum exactly to the gap, which is ||x - c_b||^2 - ||x - c_a||^2', async () => {
    const model = await kmeans(data, { k: 3, seed: 1, executor: ex });
    const rows = X.filter((_, i) => i % 5 === 0);
    const why = await explainAssignment(model, rows, { executor: ex });
    const predicted = await model.predict(rows, { executor: ex });
    expect(why).toHaveLength(rows.length);
    why.forEach((w, i) => {
      expect(w.featureNames).toEqual(names);
      expect(w.segment).toBe(predicted[i]);
      // the sum of contributions in feature order is the gap, bit for bit
      let sum = 0;
      for (const c of w.contributions) sum += c;
      expect(sum).toBe(w.gap);
      const x = rows[i].map(Math.fround);
      const dist = model.centroids.map((c) => c.reduce((s, v, j) => s + (x[j] - v) ** 2, 0));
      expect(w.gap).toBeCloseTo(dist[w.runnerUp] - dist[w.segment], 10);
      // the runner-up is the nearest other centroid
      expect(Math.min(...dist.filter((_, t) => t !== w.segment))).toBe(dist[w.runnerUp]);
      expect(w.gap).toBeGreaterThanOrEqual(0);
      expect(w.base).toBe(0);
    });
  });

  it('a tree: the decision path, each split credited to its feature; base + contributions = gap', async () => {
    const tree = await decisionTree(data, y, { maxDepth: 3, executor: ex });
    const rows = [X[0], X[60], X[120], X[77]];
    const why = await explainAssignment(tree, rows.map((r) => Object.fromEntries(names.map((n, j) => [n, r[j]]))));
    const predicted = await tree.predict(rows, { executor: ex });
    expect(why).toHaveLength(rows.length);
    why.forEach((w, i) => {
      expect(w.method).toBe('decision path');
      expect(w.segment).toBe(predicted[i]);
      expect(w.base + w.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(w.gap, 12);
      expect(w.path!.length).toBeGreaterThan(0);
      for (const step of w.path!) expect(step.op === '<=' ? step.value <= step.threshold : step.value > step.threshold).toBe(true);
      // features never split on along the path contribute nothing
      expect(w.contributions).toHaveLength(names.length);
      w.contributions.forEach((c, j) => { if (!w.path!.some((s) => s.feature === names[j])) expect(c).toBe(0); });
    });
  });

  it('a forest: TreeSHAP values sum to the prediction minus the expected value', async () => {
    const forest = await randomForest(data, y, { nTrees: 7, maxDepth: 4, seed: 2, executor: ex });
    const rows = X.filter((_, i) => i % 10 === 3);
    const { values, expectedValue } = treeShap(forest, rows);
    const proba = await forest.predictProba(rows, { executor: ex });
    expect(values).toHaveLength(rows.length);
    values.forEach((phi, i) => {
      for (let s = 0; s < 3; s++) {
        let sum = expectedValue[s];
        for (let j = 0; j < 4; j++) sum += phi[j * 3 + s];
        expect(sum).toBeCloseTo(proba[i * 3 + s], 12);
      }
    });
    const why = await explainAssignment(forest, rows);
    expect(why).toHaveLength(rows.length);
    why.forEach((w, i) => {
      expect(w.method).toBe('tree SHAP');
      expect(w.base + w.contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(w.gap, 12);
      expect(w.gap).toBeCloseTo(proba[i * 3 + w.segment] - proba[i * 3 + w.runnerUp], 12);
    });
  });

  it('a forest of one tree is explained by its SHAP values, as treeShap gives them, not by its decision path', async () => {
    const forest = await randomForest(data, y, { nTrees: 1, maxDepth: 4, seed: 2, executor: ex });
    const rows = X.filter((_, i) => i % 10 === 3);
    const { values, expectedValue } = treeShap(forest, rows);
    const why = await explainAssignment(forest, rows);
    why.forEach((w, i) => {
      expect(w.method).toBe('tree SHAP');
      expect(w.base).toBe(expectedValue[w.segment] - expectedValue[w.runnerUp]);
      for (let j = 0; j < 4; j++) expect(w.contributions[j]).toBe(values[i][j * 3 + w.segment] - values[i][j * 3 + w.runnerUp]);
    });
  });

  it('TreeSHAP equals brute-force Shapley values on tiny trees (every subset of features)', async () => {
    const rng = createRandom(3);
    const n = 300;
    const cols = Array.from({ length: 4 }, () => Float32Array.from({ length: n }, () => Math.round(rng.normal() * 100) / 10));
    const target = Int32Array.from({ length: n }, (_, i) => (cols[0][i] + cols[1][i] * cols[2][i] > 0 ? (cols[3][i] > 0 ? 2 : 1) : 0));
    const forest = await randomForest({ columns: cols, names: ['a', 'b', 'c', 'd'] }, target, { nTrees: 3, maxDepth: 4, seed: 5, maxFeatures: 'all', executor: ex });
    for (let r = 0; r < 12; r++) {
      const x = cols.map((c) => c[r * 7]);
      const { values } = treeShap(forest, [x]);
      const want = new Float64Array(4 * 3);
      for (const t of forest.trees) {
        const b = bruteShapley(t, 3, 4, x);
        for (let q = 0; q < want.length; q++) want[q] += b[q] / forest.trees.length;
      }
      expect(values[0]).toHaveLength(want.length);
      values[0].forEach((v, q) => expect(v).toBeCloseTo(want[q], 12));
    }
  });

  it('TreeSHAP equals Shapley values by their definition (every order of the features) on trees that split a feature again and again', () => {
    interface Flat { feature: number[]; threshold: (number | null)[]; left: number[]; right: number[]; value: number[][]; count: number[] }
    const rng = createRandom(9);
    const C = 3, d = 4, grid = [-1, 0, 0.5, 1];
    const pick = <T,>(a: readonly T[]) => a[Math.floor(rng.next() * a.length)];
    // random trees on three of the four features (so one feature is never split on), thresholds from a small grid
    // (rows land on them exactly) and class weights with zeros and fractions, written in preorder
    const grow = (t: Flat, depth: number): number[] => {
      const i = t.feature.length;
      t.feature.push(-1); t.threshold.push(null); t.left.push(-1); t.right.push(-1); t.value.push([]); t.count.push(0);
      if (depth === 0 || rng.next() < 0.15) t.value[i] = [1 + rng.next(), rng.next() < 0.3 ? 0 : 10 * rng.next(), rng.next() < 0.3 ? 0 : 10 * rng.next()];
      else {
        t.feature[i] = Math.floor(rng.next() * 3);
        t.threshold[i] = pick(grid);
        t.left[i] = t.feature.length;
        const a = grow(t, depth - 1);
        t.right[i] = t.feature.length;
        const b = grow(t, depth - 1);
        t.value[i] = a.map((v, c) => v + b[c]);
      }
      t.count[i] = t.value[i].reduce((p, q) => p + q, 0);
      return t.value[i];
    };
    // E[f(x) | x_S]: a split on a feature of S follows x, any other sends the mass down both sides by cover
    const given = (t: Flat, x: number[], S: Set<number>, node: number, w: number, out: number[]): void => {
      const f = t.feature[node];
      if (f < 0) t.value[node].forEach((v, c) => (out[c] += (w * v) / t.count[node]));
      else if (S.has(f)) given(t, x, S, x[f] <= t.threshold[node]! ? t.left[node] : t.right[node], w, out);
      else for (const child of [t.left[node], t.right[node]]) given(t, x, S, child, (w * t.count[child]) / t.count[node], out);
    };
    const orders = (m: number): number[][] => (m === 0 ? [[]] : orders(m - 1).flatMap((o) => Array.from({ length: m }, (_, i) => [...o.slice(0, i), m - 1, ...o.slice(i)])));
    let checked = 0;
    for (let rep = 0; rep < 12; rep++) {
      const trees = [0, 1].map(() => {
        const t: Flat = { feature: [], threshold: [], left: [], right: [], value: [], count: [] };
        grow(t, 6);
        return t;
      });
      // a forest's trees each grew on about nSamples rows: the second tree's weights scaled to the first's (its
      // probabilities and cover shares stay as they were)
      const scale = trees[0].count[0] / trees[1].count[0];
      trees[1].value = trees[1].value.map((v) => v.map((q) => q * scale));
      trees[1].count = trees[1].value.map((v) => v.reduce((p, q) => p + q, 0));
      const model = ForestModel.fromJSON({ kind: 'forest', version: 1, k: 4, featureNames: ['a', 'b', 'c', 'd'], classes: [0, 1, 3], classNames: null, nSamples: Math.round(trees[0].count[0]), trees });
      checked++;
      for (let r = 0; r < 4; r++) {
        const x = Array.from({ length: d }, () => pick(grid) + pick([0, 0.25]));
        const want = new Float64Array(d * C), out = [0, 0, 0];
        for (const t of trees) {
          for (const order of orders(d)) {
            const S = new Set<number>();
            let before = [0, 0, 0];
            given(t, x, S, 0, 1, before);
            for (const j of order) {
              S.add(j);
              const now = [0, 0, 0];
              given(t, x, S, 0, 1, now);
              for (let c = 0; c < C; c++) want[j * C + c] += (now[c] - before[c]) / 24 / 2;
              before = now;
            }
            if (S.size === d) before.forEach((v, c) => (out[c] += v / 24 / 2));
          }
        }
        const { values, expectedValue } = treeShap(model, [x]);
        [0, 1, 3].forEach((s, c) => {
          for (let j = 0; j < d; j++) expect(Math.abs(values[0][j * 4 + s] - want[j * C + c])).toBeLessThan(1e-13);
          // local accuracy: the expected value and the contributions add up to the forest's probability
          let sum = expectedValue[s];
          for (let j = 0; j < d; j++) sum += values[0][j * 4 + s];
          expect(Math.abs(sum - out[c])).toBeLessThan(1e-13);
        });
        // segment 2 is no class of the trees, and feature d is never split on: both get exactly 0
        for (let j = 0; j < d; j++) expect(values[0][j * 4 + 2]).toBe(0);
        for (let s = 0; s < 4; s++) expect(values[0][3 * 4 + s]).toBe(0);
      }
    }
    expect(checked).toBe(12);
  });

  it('TreeSHAP of a tree thousands of splits deep: no stack overflow, and the values add up to its probabilities', async () => {
    // node 2i splits feature i % 3 at i / 1000; its left child 2i + 1 is a leaf, its right child the next split
    const D = 3000, feature: number[] = [], threshold: (number | null)[] = [], left: number[] = [], right: number[] = [], value: number[][] = [];
    for (let i = 0; i < D; i++) {
      feature.push(i % 3, -1); threshold.push(i / 1000, null); left.push(2 * i + 1, -1); right.push(2 * i + 2, -1);
      value.push([], [(i % 2) + 1, (i % 5) + 1]);
    }
    feature.push(-1); threshold.push(null); left.push(-1); right.push(-1); value.push([1, 2]);
    for (let i = D - 1; i >= 0; i--) value[2 * i] = value[2 * i + 1].map((v, c) => v + value[2 * i + 2][c]);
    const count = value.map((v) => v[0] + v[1]);
    const model = ForestModel.fromJSON({ kind: 'forest', version: 1, k: 2, featureNames: ['a', 'b', 'c'], classes: [0, 1], classNames: null, nSamples: count[0], trees: [{ feature, threshold, left, right, value, count }] });
    const rows = [[1.5, 1.5, 1.5], [0.5, 2.9, 0.1], [10, 10, 10], [-1, 5, 5]];
    const { values, expectedValue } = treeShap(model, rows);
    const proba = await model.predictProba(rows, { executor: ex });
    rows.forEach((_, i) => {
      for (let c = 0; c < 2; c++) expect(expectedValue[c] + values[i][c] + values[i][2 + c] + values[i][4 + c]).toBeCloseTo(proba[i * 2 + c], 12);
    });
  });

  it('names a feature the model does not have, a missing feature and a non-number', async () => {
    const tree = await decisionTree(data, y, { maxDepth: 2, executor: ex });
    const row = Object.fromEntries(names.map((n, j) => [n, X[0][j]]));
    const unknown = await failure(() => explainAssignment(tree, [{ ...row, petal_lenght: 1 }]));
    expect(unknown.code).toBe('E_MISSING_COLUMN');
    expect(unknown.message).toContain('"petal_lenght"');
    expect(unknown.message).toContain('did you mean "petal_length"');
    const { petal_width: _drop, ...partial } = row;
    expect((await failure(() => explainAssignment(tree, [partial]))).message).toContain('no value for feature "petal_width"');
    expect((await failure(() => explainAssignment(tree, [{ ...row, sepal_width: Number.NaN }]))).code).toBe('E_NAN_INPUT');
    expect((await failure(() => explainAssignment(tree, [[1, 2, 3]]))).code).toBe('E_SHAPE_MISMATCH');
  });

  it('a typed-array row is read in feature order, as the same plain array is, not as an object with features "0", "1"', async () => {
    const tree = await decisionTree(data, y, { maxDepth: 3, executor: ex });
    const forest = await randomForest(data, y, { nTrees: 3, maxDepth: 3, seed: 2, executor: ex });
    const model = await kmeans(data, { k: 3, seed: 1, executor: ex });
    const plain = [X[0], X[77]], typed = [Float64Array.from(X[0]), Float32Array.from(X[77])];
    for (const m of [tree, forest, model]) expect(await explainAssignment(m, typed, { executor: ex })).toEqual(await explainAssignment(m, plain, { executor: ex }));
    expect(treeShap(forest, typed)).toEqual(treeShap(forest, plain));
    expect((await failure(() => explainAssignment(tree, [Float64Array.of(1, 2)]))).code).toBe('E_SHAPE_MISMATCH');
  });

  it('a hole in a sparse row or in the rows is refused naming it, not read as 0 or left out', async () => {
    const tree = await decisionTree(data, y, { maxDepth: 2, executor: ex });
    const model = await kmeans(data, { k: 3, seed: 1, executor: ex });
    // eslint-disable-next-line no-sparse-arrays
    const holed = [5.1, , 1.4, 0.2] as number[];
    for (const run of [() => explainAssignment(tree, [holed]), () => explainAssignment(model, [holed], { executor: ex }), () => treeShap(tree, [holed])]) {
      const e = await failure(run);
      expect(e.code).toBe('E_NAN_INPUT');
      expect(e.message).toContain('row 0, feature "sepal_width" holds undefined');
    }
    const rows = [X[0], X[1]];
    delete (rows as unknown[])[0];
    for (const run of [() => explainAssignment(tree, rows), () => explainAssignment(model, rows, { executor: ex }), () => treeShap(tree, rows)]) {
      const e = await failure(run);
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain('row 0 is undefined');
    }
  });

  it('treeShap of a model that is no tree, and explainAssignment of no model: refused, not a TypeError', async () => {
    const model = await kmeans(data, { k: 3, seed: 1, executor: ex });
    const e = await failure(() => treeShap(model as never, [X[0]]));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toBe('option "model" must be a tree or forest, got "kmeans"');
    for (const bad of [undefined, null, {}]) {
      const f = await failure(() => explainAssignment(bad as never, [X[0]]));
      expect(f.code).toBe('E_BAD_OPTION');
      expect(f.message).toContain('option "model" must be a fitted model, got ');
    }
  });

  it('a model of one segment has no runner-up: refused, not a TypeError', async () => {
    const one = await kmeans(data, { k: 1, seed: 1, executor: ex });
    const e = await failure(() => explainAssignment(one, X.slice(0, 2), { executor: ex }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('this model has one segment');
  });
});

describe('permutationImportance', () => {
  it('a feature the model never splits on loses nothing; the one it splits on loses most', async () => {
    const tree = await decisionTree(data, y, { maxDepth: 2, executor: ex });
    const used = new Set(Array.from(tree.tree.feature).filter((f) => f >= 0));
    const imp = await permutationImportance(tree, data, y, { repeats: 3, seed: 1, executor: ex });
    expect(imp.baseline).toBeCloseTo(Array.from(tree.labels).filter((p, i) => p === y[i]).length / 150, 14);
    expect(imp.importances).toHaveLength(names.length);
    imp.importances.forEach((v, j) => {
      if (!used.has(j)) expect(v).toBe(0);
      else expect(v).toBeGreaterThan(0.1);
    });
    expect(imp.losses).toHaveLength(names.length);
    expect(imp.losses.every((l) => l.length === 3)).toBe(true);
  });

  it('a SegmentModel (raw tables in, no feature names) or no model: refused naming the option, not a TypeError', async () => {
    const table = tableFromArrays({ a: Float64Array.from(X, (r) => r[0]), b: Float64Array.from(X, (r) => r[1]) });
    const prep = pipeline({ scale: 'standard' });
    const { dataset } = await prep.fitTransform(table, { executor: ex });
    const km = await kmeans(dataset, { k: 2, seed: 1, executor: ex });
    const segments = [0, 1].map((id) => {
      const size = km.labels.filter((l) => l === id).length;
      return { id, name: `s${id}`, size, share: size / X.length, means: { a: 0, b: 0 } };
    });
    const sm = new SegmentModel({ pipeline: prep, model: km, segments });
    for (const bad of [sm, null, {}]) {
      // rows of numbers (and an Arrow table of them) read the missing featureNames: "Cannot read properties of undefined"
      for (const rows of [X.map((r) => [r[0], r[1]]), table]) {
        const e = await failure(() => permutationImportance(bad as never, rows as never, undefined, { executor: ex }));
        expect([e.code, e.message]).toEqual(['E_BAD_OPTION', `option "model" must be a fitted model, got ${bad === null ? 'null' : bad === sm ? 'SegmentModel' : 'Object'}`]);
      }
    }
    // its model, on the prepared rows, is explained
    expect((await permutationImportance(sm.model, dataset, undefined, { repeats: 1, executor: ex })).baseline).toBe(1);
  });

  it('a text target is read through the model\'s class names, as the fit read it; labels it cannot read are refused', async () => {
    const species = ['setosa', 'versicolor', 'virginica'];
    const text = y.map((c) => species[c]);
    const byName = await decisionTree(data, text, { maxDepth: 2, executor: ex });
    const byId = await decisionTree(data, y, { maxDepth: 2, executor: ex });
    const a = await permutationImportance(byName, data, text, { repeats: 3, seed: 1, executor: ex });
    const b = await permutationImportance(byId, data, y, { repeats: 3, seed: 1, executor: ex });
    // the same tree either way: the same agreement, 144 of 150 rows, and the same losses
    expect(a.baseline).toBe(144 / 150);
    expect(a.baseline).toBe(b.baseline);
    expect(Array.from(a.importances)).toEqual(Array.from(b.importances));
    expect(a.importances[2] + a.importances[3]).toBeGreaterThan(0.5);
    const unknown = await failure(() => permutationImportance(byName, data, text.map((s, i) => (i === 7 ? 'rose' : s)), { executor: ex }));
    expect(unknown.code).toBe('E_BAD_LABELS');
    expect(unknown.message).toContain('row 7');
    expect(unknown.message).toContain('"rose"');
    const noNames = await failure(() => permutationImportance(byId, data, text, { executor: ex }));
    expect(noNames.code).toBe('E_BAD_LABELS');
    expect(noNames.message).toContain('row 0');
    const nan = await failure(() => permutationImportance(byId, data, y.map((c, i) => (i === 3 ? Number.NaN : c)), { executor: ex }));
    expect(nan.code).toBe('E_BAD_LABELS');
    expect(nan.message).toContain('row 3');
    // null (a missing column read as nothing) was a TypeError reading its length
    for (const target of [null, 5]) {
      const none = await failure(() => permutationImportance(byId, data, target as never, { executor: ex }));
      expect(none.code).toBe('E_BAD_LABELS');
      expect(none.message).toBe(`target must be an array of segment ids or segment names, got ${target}`);
    }
  });

  it('for a segmentation: loss of agreement with its own segments', async () => {
    const model = await kmeans(data, { k: 3, seed: 1, executor: ex });
    const imp = await permutationImportance(model, data, undefined, { repeats: 2, executor: ex });
    expect(imp.baseline).toBe(1);
    // petal length spreads the blobs most: shuffling it breaks the most assignments
    const top = imp.importances.indexOf(Math.max(...imp.importances));
    expect(names[top]).toBe('petal_length');
    expect(imp.importances).toHaveLength(names.length);
    for (const v of imp.importances) expect(v).toBeGreaterThanOrEqual(0);
  });
});

describe('segmentRules', () => {
  it('recovers the thresholds that define the segments, with fidelity 1', async () => {
    const rng = createRandom(8);
    const n = 400;
    const income = Float32Array.from({ length: n }, () => Math.round(rng.next() * 1000) / 10);
    const spend = Float32Array.from({ length: n }, () => Math.round(rng.next() * 800) / 10);
    const labels = Int32Array.from({ length: n }, (_, i) => (income[i] > 70 ? (spend[i] <= 40 ? 2 : 1) : 0));
    const r = await segmentRules({ columns: [income, spend], names: ['income', 'spend'] }, labels, { executor: ex });
    expect(r.fidelity).toBe(1);
    expect(r.segments.map((s) => [s.segment, s.recall, s.precision])).toEqual([[0, 1, 1], [1, 1, 1], [2, 1, 1]]);
    const two = r.segments[2].rules;
    expect(two).toHaveLength(1);
    expect(two[0].text).toMatch(/^income >=? 70\.\d+ and spend <?=? 4\d(\.\d+)? -> segment 2: 100% of \d+ customers$/);
    expect(r.tree.toSQL()).toContain('"income" > 70.');
  });

  it('a rule whose leaf is not pure never reads 100%, nor one customer "1 customers"', async () => {
    // 300 low spenders, one of them in segment 1, and 100 high spenders in segment 1: the low leaf is 299 of 300
    const spend = Float32Array.from({ length: 400 }, (_, i) => (i < 300 ? i % 50 : 100 + i));
    const labels = Int32Array.from({ length: 400 }, (_, i) => (i < 300 && i !== 17 ? 0 : 1));
    for (const names of [undefined, ['Casual', 'Big spenders']]) {
      const r = await segmentRules({ columns: [spend], names: ['spend'] }, labels, { executor: ex, maxDepth: 1, minSamplesLeaf: 50, names });
      expect(r.rules.map((x) => x.confidence)).toEqual([299 / 300, 1]);
      expect(r.rules.map((x) => x.text)).toEqual([`spend <= 224.5 -> ${names?.[0] ?? 'segment 0'}: 99% of 300 customers`, `spend > 224.5 -> ${names?.[1] ?? 'segment 1'}: 100% of 100 customers`]);
    }
    // a leaf of 0.996 and one of 0.994 both read 99%; a pure one 100%
    expect([0.996, 0.994, 0.5, 1].map(rulePercent)).toEqual([99, 99, 50, 100]);
  });

  it('text labels: fidelity, recall and precision count the rows the rules put in their own segment', async () => {
    const income = Float32Array.from({ length: 40 }, (_, i) => i);
    const labels = Array.from(income, (v) => (v < 20 ? 'low' : v < 30 ? 'mid' : 'high'));
    const r = await segmentRules({ columns: [income], names: ['income'] }, labels, { executor: ex });
    expect(r.rules.map((rule) => rule.text)).toEqual([
      'income > 29.5 -> high: 100% of 10 customers', 'income <= 19.5 -> low: 100% of 20 customers', '19.5 < income <= 29.5 -> mid: 100% of 10 customers',
    ]);
    expect(r.fidelity).toBe(1);
    expect(r.segments.map((s) => [s.segment, s.name, s.size, s.recall, s.precision])).toEqual([[0, 'high', 10, 1, 1], [1, 'low', 20, 1, 1], [2, 'mid', 10, 1, 1]]);
    // a rule of one condition finds the low segment and part of the others
    const shallow = await segmentRules({ columns: [income], names: ['income'] }, labels, { executor: ex, maxDepth: 1 });
    expect(shallow.fidelity).toBe(30 / 40);
    expect(shallow.segments.map((s) => [s.name, s.size, s.recall, s.precision])).toEqual([['high', 10, 1, 0.5], ['low', 20, 1, 1], ['mid', 10, 0, 0]]);
    await expect(segmentRules({ columns: [income], names: ['income'] }, labels, { names: ['a', 'b', 'c'] })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"names"') });
  });

  it('names with a hole (a sparse array) are refused, as undefined is, rather than naming a rule "undefined"', async () => {
    const spend = Float32Array.from({ length: 300 }, (_, i) => i);
    const labels = Int32Array.from(spend, (v) => (v < 100 ? 0 : v < 200 ? 1 : 2));
    // eslint-disable-next-line no-sparse-arrays
    for (const names of [['low', , 'high'], ['low', undefined, 'high']] as string[][]) {
      const e = await failure(() => segmentRules({ columns: [spend], names: ['spend'] }, labels, { names, executor: ex }));
      expect([e.code, e.message]).toEqual(['E_BAD_OPTION', expect.stringContaining('"names"')]);
    }
    const r = await segmentRules({ columns: [spend], names: ['spend'] }, labels, { names: ['low', 'mid', 'high'], executor: ex });
    expect(r.rules.map((x) => x.text)).toEqual(['spend <= 99.5 -> low: 100% of 100 customers', '99.5 < spend <= 199.5 -> mid: 100% of 100 customers', 'spend > 199.5 -> high: 100% of 100 customers']);
  });

  it('no labels with names are refused as without names, not a TypeError reading their length', async () => {
    for (const labels of [null, undefined]) {
      const e = await failure(() => segmentRules(data, labels as never, { names: ['a', 'b', 'c'], executor: ex }));
      expect([e.code, e.message]).toEqual(['E_BAD_LABELS', `target must be an array of segment ids or class names, got ${labels}`]);
    }
  });

  it('fidelity is the share of customers the rules put in their own segment', async () => {
    const model = await kmeans(data, { k: 4, seed: 2, executor: ex });
    const r = await segmentRules(data, model.labels, { maxDepth: 2, executor: ex });
    const right = Array.from(r.tree.labels).filter((p, i) => p === model.labels[i]).length;
    expect(r.fidelity).toBe(right / 150);
    expect(r.rules.length).toBeGreaterThan(0);
    expect(r.rules.every((rule) => rule.conditions.length <= 2)).toBe(true);
  });
});

describe('segmentComposition', () => {
  it('each segment against the whole base, flagging differences above the threshold', () => {
    const labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    const gender = ['f', 'f', 'f', 'm', 'm', 'm', 'm', 'f', null, 'm'];
    const c = segmentComposition(labels, gender, { threshold: 0.2 });
    // a misspelt threshold was read as the default 0.1
    expect(() => segmentComposition(labels, gender, { treshold: 0.2 } as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('unknown option "treshold"; did you mean "threshold"?') }));
    expect(c.overall).toEqual([
      { group: 'm', count: 5, share: 0.5 },
      { group: 'f', count: 4, share: 0.4 },
      { group: '(missing)', count: 1, share: 0.1 },
    ]);
    const s0 = c.segments[0].groups;
    expect(s0.map((g) => [g.group, g.share, g.flagged])).toEqual([['m', 0.25, true], ['f', 0.75, true], ['(missing)', 0, false]]);
    expect(c.flagged.map((g) => [g.segment, g.group])).toEqual([[0, 'f'], [0, 'm'], [1, 'f']]);
    expect(c.flagged[0].difference).toBeCloseTo(0.35, 14);
  });

  it('a threshold of 1 is refused in words that leave 1 out, and text given as the attribute is refused, not read letter by letter', () => {
    expect(() => segmentComposition([0, 1], ['a', 'b'], { threshold: 1 })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: 'option "threshold" must be a number from 0 up to, not including, 1, got 1' }));
    expect(segmentComposition([0, 1], ['a', 'b'], { threshold: 0.99 }).threshold).toBe(0.99);
    expect(() => segmentComposition([0, 1], 'fm' as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('attribute must be an array of values, got') }));
    // a String object too (its length and indices are the letters as well)
    expect(() => segmentComposition([0, 1], new String('fm') as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('attribute must be an array of values, got') }));
  });

  it('a difference of exactly the threshold is not more than it, whichever way the shares round', () => {
    // 13 of 20 (65%) and 9 of 20 (45%) women against 22 of 40 (55%): every group is exactly 10 points off; the
    // differences of the rounded shares read 0.0999..., -0.1000...03 and 0.1000...03
    const labels = Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
    const gender = Array.from({ length: 40 }, (_, i) => (i < 13 || (i >= 20 && i < 29) ? 'f' : 'm'));
    const c = segmentComposition(labels, gender);
    expect(c.segments.flatMap((s) => s.groups.map((g) => [g.count * 40 - c.overall.find((o) => o.group === g.group)!.count * s.size, s.size * 40])))
      .toEqual([[80, 800], [-80, 800], [-80, 800], [80, 800]]);
    expect(c.segments.flatMap((s) => s.groups.map((g) => g.flagged))).toEqual([false, false, false, false]);
    expect(c.flagged).toEqual([]);
    // one more woman in segment 0: 14 of 20 (70%) and 9 of 20 (45%) against 23 of 40 (57.5%), 12.5 points off each way
    const more = segmentComposition(labels, gender.map((g, i) => (i === 13 ? 'f' : g)));
    expect(more.flagged.map((g) => `${g.segment} ${g.group}`).sort()).toEqual(['0 f', '0 m', '1 f', '1 m']);
  });

  it('reads an Arrow column (a table\'s getChild) by its values, not as every row missing', () => {
    const labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    const gender = ['f', 'f', 'f', 'm', 'm', 'm', 'm', 'f', null, 'm'];
    const table = tableFromArrays({ gender: gender as string[] });
    const column = table.getChild('gender')!;
    const c = segmentComposition(labels, column, { threshold: 0.2 });
    // indexed, the column gave undefined for every row: one group "(missing)" holding all ten customers
    expect(c.overall).toEqual([
      { group: 'm', count: 5, share: 0.5 },
      { group: 'f', count: 4, share: 0.4 },
      { group: '(missing)', count: 1, share: 0.1 },
    ]);
    expect(c).toEqual(segmentComposition(labels, gender, { threshold: 0.2 }));
  });

  it('an Arrow text column keeps a U+FEFF that begins a value, and a Binary column reads as its text', () => {
    const labels = [0, 0, 1, 1];
    // Vector.get drops a leading U+FEFF: "\uFEFFf" and "f" were one group, as an array keeps them two
    const text = vectorFromArray(['\uFEFFf', 'f', 'f', 'm'], new Utf8());
    const plain = ['\uFEFFf', 'f', 'f', 'm'];
    expect(segmentComposition(labels, text)).toEqual(segmentComposition(labels, plain));
    expect(segmentComposition(labels, text).overall).toEqual([
      { group: 'f', count: 2, share: 0.5 },
      { group: 'm', count: 1, share: 0.25 },
      { group: '\uFEFFf', count: 1, share: 0.25 },
    ]);
    // Binary values are groups named by their UTF-8 text, else their hexadecimal bytes, not "102" or "255,1"
    const enc = (t: string) => new TextEncoder().encode(t);
    const bytes = vectorFromArray([enc('f'), enc('f'), enc('m'), Uint8Array.of(0xff, 1)], new Binary());
    expect(segmentComposition(labels, bytes)).toEqual(segmentComposition(labels, ['f', 'f', 'm', 'ff01']));
  });

  it('a value that is the text "(missing)" stays apart from the missing values', () => {
    const labels = [0, 0, 0, 1, 1, 1];
    const answer = ['(missing)', '(missing)', 'yes', null, '', 'yes'];
    const c = segmentComposition(labels, answer);
    // two rows read "(missing)", two hold no value (null, empty text), two "yes"
    expect(c.overall).toEqual([
      { group: '((missing))', count: 2, share: 2 / 6 },
      { group: '(missing)', count: 2, share: 2 / 6 },
      { group: 'yes', count: 2, share: 2 / 6 },
    ]);
    expect(c.segments.map((s) => s.groups.map((g) => [g.group, g.count]))).toEqual([
      [['((missing))', 0], ['(missing)', 2], ['yes', 1]],
      [['((missing))', 2], ['(missing)', 0], ['yes', 1]],
    ]);
  });
});
