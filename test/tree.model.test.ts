// Tree and forest models: SQL run in a real SQL engine (SQLite through better-sqlite3) assigns the same segments
// as predict; JSON round trips and strict loading; rules in words; bad targets and options.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { close, createRandom, decisionTree, fromColumns, inlineExecutor, loadModel, randomForest, treeShap, type TreeEnsemble } from '../src/index.js';
import { failure } from './helpers.js';
import { shortNumber, thresholdText } from '../src/core/tree.js';

interface Statement { all(...params: unknown[]): Record<string, unknown>[]; run(...params: unknown[]): unknown }
interface SqliteDb { exec(sql: string): void; prepare(sql: string): Statement; close(): void; transaction<T>(fn: (rows: T[]) => void): (rows: T[]) => void }
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteDb;

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});
const load = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

/**
 * A loaded tree that is a chain of `depth` splits (a file may hold one): split s sends x <= s + 0.5 to a leaf of
 * segment 0 holding one row, the rest (one row of segment 1 at the end) on.
 */
function chainTree(depth: number): TreeEnsemble {
  const feature: number[] = [], threshold: (number | null)[] = [], left: number[] = [], right: number[] = [];
  for (let s = 0; s < depth; s++) {
    const at = feature.length;
    feature.push(0, -1); threshold.push(s + 0.5, null); left.push(at + 1, -1); right.push(at + 2, -1);
  }
  feature.push(-1); threshold.push(null); left.push(-1); right.push(-1);
  const nodes = feature.length;
  // node 2s is split s (depth - s + 1 rows: depth - s of segment 0), node 2s + 1 its leaf, the last node the final leaf
  const value = Array.from({ length: nodes }, (_, i) => (i === nodes - 1 ? [0, 1] : i % 2 ? [1, 0] : [depth - i / 2, 1]));
  const count = value.map((v) => v[0] + v[1]);
  return loadModel({
    kind: 'tree', version: 1, k: 2, featureNames: ['x'], classes: [0, 1], classNames: null, nSamples: depth + 1,
    tree: { feature, threshold, left, right, value, count },
  }) as TreeEnsemble;
}
const depth = 12_000;

/** Segments SQLite assigns with the model's SQL to float32 rows stored as REAL (float64). */
function sqliteSegments(model: TreeEnsemble, rows: (number | null)[][], names: string[]): (number | null)[] {
  const db = new Database(':memory:');
  try {
    db.exec(`CREATE TABLE customers (row INTEGER PRIMARY KEY, ${names.map((n) => `"${n.replace(/"/g, `""`)}" REAL`).join(', ')})`);
    const insert = db.prepare(`INSERT INTO customers VALUES (${['?', ...names.map(() => '?')].join(', ')})`);
    db.transaction((all: (number | null)[][]) => all.forEach((r, i) => insert.run(i, ...r.map((v) => (v === null ? null : Math.fround(v))))))(rows);
    const sql = model.trees.length === 1 ? `SELECT row, ${model.toSQL()} AS segment FROM customers ORDER BY row` : `${model.toSQL({ table: 'customers' })} ORDER BY row`;
    return db.prepare(sql).all().map((r) => (r.segment === null ? null : Number(r.segment)));
  } finally {
    db.close();
  }
}

describe('toSQL in SQLite', () => {
  it('a tree on iris and on data binned at quantiles: the same segments as predict, every row', async () => {
    for (const [fx, depth] of [[load('tree-iris'), 5], [load('tree-binned'), 6]] as const) {
      const names = fx.X[0].map((_: number, j: number) => `f ${j}"x`);
      const model = await decisionTree({ columns: names.map((_: string, j: number) => Float32Array.from(fx.X, (r: number[]) => r[j])), names }, fx.y, { maxDepth: depth, executor: ex });
      const predicted = Array.from(await model.predict(fx.X, { executor: ex }));
      expect(sqliteSegments(model, fx.X, names)).toEqual(predicted);
      expect(model.toSQL()).toMatch(/^CASE WHEN "f \d""x" (<=|>) /);
    }
  });

  it('rows on a threshold and between float32 neighbours go the same way as predict', async () => {
    const rng = createRandom(2);
    const n = 2_000;
    // few distinct values (exact midpoints) in one column, many (quantile edges) in the other
    const a = Float32Array.from({ length: n }, () => Math.floor(rng.next() * 40) / 7);
    const b = Float32Array.from({ length: n }, () => rng.normal() * 1e3);
    const y = Int32Array.from({ length: n }, (_, i) => (a[i] > 2.5 ? 1 : 0) + (b[i] > 10 ? 2 : 0));
    const model = await decisionTree({ columns: [a, b], names: ['a', 'b'] }, y, { maxDepth: 6, executor: ex });
    const probe: number[][] = [];
    for (let node = 0; node < model.tree.feature.length; node++) {
      const f = model.tree.feature[node];
      if (f < 0) continue;
      const t = Math.fround(model.tree.threshold[node]);
      for (const v of [t, Math.fround(t * (1 + 1e-7)), Math.fround(t * (1 - 1e-7))]) probe.push(f === 0 ? [v, 0] : [3, v]);
    }
    const rows = [...Array.from({ length: n }, (_, i) => [a[i], b[i]]), ...probe];
    expect(sqliteSegments(model, rows, ['a', 'b'])).toEqual(Array.from(await model.predict(rows, { executor: ex })));
  });

  it('features named like Object methods keep their names; a column name that is not text is refused', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i % 10, (i * 7) % 13]);
    const y = rows.map((r) => (r[0] < 5 ? 0 : 1));
    const names = ['constructor', 'toString'];
    const model = await decisionTree({ columns: names.map((_, j) => Float32Array.from(rows, (r) => r[j])), names }, y, { executor: ex });
    expect(model.toSQL()).toBe('CASE WHEN "constructor" <= 4.5 THEN 0 WHEN "constructor" > 4.5 THEN 1 END');
    expect(model.toSQL({ columns: { toString: 'b' } })).toBe('CASE WHEN "constructor" <= 4.5 THEN 0 WHEN "constructor" > 4.5 THEN 1 END');
    expect(model.toSQL({ columns: { constructor: 'x 1' } })).toBe('CASE WHEN "x 1" <= 4.5 THEN 0 WHEN "x 1" > 4.5 THEN 1 END');
    expect(sqliteSegments(model, rows, names)).toEqual(Array.from(await model.predict(rows, { executor: ex })));
    const bad = await failure(() => model.toSQL({ columns: { constructor: 5 as unknown as string } }));
    expect(bad.code).toBe('E_BAD_OPTION');
    expect(bad.message).toContain('option "columns.constructor" must be a non-empty string');
  });

  it('a NULL on a row\'s path gives no segment (NULL), not the last leaf\'s; a NULL off its path changes nothing', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => [i % 10, (i * 7) % 13, i % 4]);
    const y = rows.map((r) => (r[0] < 5 ? 0 : r[1] < 6 ? 1 : 2));
    const names = ['a', 'b', 'c'];
    const tree = await decisionTree({ columns: names.map((_, j) => Float32Array.from(rows, (r) => r[j])), names }, y, { executor: ex });
    const forest = await randomForest({ columns: names.map((_, j) => Float32Array.from(rows, (r) => r[j])), names }, y, { nTrees: 5, maxDepth: 3, seed: 1, executor: ex });
    // the tree splits on a first and on b only where a >= 5: a row with a = 2 never compares b
    expect(tree.rules().map((r) => r.conditions.map((c) => c.feature).join())).toEqual(['a', 'a,b', 'a,b']);
    const probe = [[null, 3, 1], [8, null, 1], [2, null, 1], [8, 2, null], [null, null, null]];
    expect(Array.from(await tree.predict([[2, 0, 1], [8, 2, 0]], { executor: ex }))).toEqual([0, 1]);
    // before: [2, 2, 0, 1, 2], the last leaf's segment for a customer whose a or b is unknown
    expect(sqliteSegments(tree, probe, names)).toEqual([null, null, 0, 1, null]);
    // a forest's sums are NULL when one tree meets a NULL: before, the last segment (2) for every such row
    const sums = sqliteSegments(forest, probe, names);
    expect(sums.slice(0, 2)).toEqual([null, null]);
    expect(sums[4]).toBe(null);
    expect(sqliteSegments(forest, rows, names)).toEqual(Array.from(await forest.predict(rows, { executor: ex })));
  });

  it('a forest: summed leaf probabilities and the first largest, as predict', async () => {
    const fx = load('tree-wine');
    const names = fx.X[0].map((_: number, j: number) => `w${j}`);
    const forest = await randomForest(fx.X, fx.y, { nTrees: 8, maxDepth: 4, seed: 4, executor: ex });
    const cols = { columns: names.map((_: string, j: number) => Float32Array.from(fx.X, (r: number[]) => r[j])), names };
    const named = await randomForest(cols, fx.y, { nTrees: 8, maxDepth: 4, seed: 4, executor: ex });
    expect(sqliteSegments(named, fx.X, names)).toEqual(Array.from(await forest.predict(fx.X, { executor: ex })));
  });
});

describe('tree models as files and words', () => {
  it('a forest on a few rows: every tree has rows (no empty bootstrap sample), probabilities sum to 1, the file loads', async () => {
    // 4 rows: each tree's Poisson(1) weights are all 0 with probability e^-4, about 1 tree in 55
    const X = [[0], [1], [2], [3]], y = [0, 0, 1, 1];
    const forest = await randomForest(X, y, { nTrees: 300, seed: 0, executor: ex });
    const json = forest.toJSON() as unknown as { trees: { count: number[] }[] };
    expect(json.trees).toHaveLength(300);
    for (const t of json.trees) expect(t.count[0]).toBeGreaterThan(0);
    const proba = await forest.predictProba(X, { executor: ex });
    for (let i = 0; i < X.length; i++) expect(Math.abs(proba[2 * i] + proba[2 * i + 1] - 1)).toBeLessThan(1e-12);
    const back = loadModel(JSON.stringify(forest.toJSON())) as TreeEnsemble;
    expect(Array.from(await back.predictProba(X, { executor: ex }))).toEqual(Array.from(proba));
  });

  it('rows no split can part: importances all 0 and the class shares as probabilities, as scikit-learn gives them', async () => {
    // DecisionTreeClassifier().fit(X, y) and RandomForestClassifier(n_estimators=3).fit(X, y) (scikit-learn 1.2.1):
    // feature_importances_ [0, 0]; the tree's predict_proba [2/3, 1/3] for every row
    const X = [[1, 2], [1, 2], [1, 2]], y = [0, 1, 0];
    for (const model of [await decisionTree(X, y, { executor: ex }), await randomForest(X, y, { nTrees: 3, bootstrap: false, executor: ex })]) {
      expect(Array.from(model.featureImportances)).toEqual([0, 0]);
      expect(Array.from(await model.predictProba([[1, 2]], { executor: ex }))).toEqual([2 / 3, 1 / 3]);
    }
  });

  it('round-trips through JSON and loadModel with the same predictions and probabilities', async () => {
    const fx = load('tree-wine');
    for (const model of [await decisionTree(fx.X, fx.y, { maxDepth: 4, executor: ex }), await randomForest(fx.X, fx.y, { nTrees: 5, seed: 1, executor: ex })]) {
      const back = loadModel(JSON.stringify(model.toJSON())) as TreeEnsemble;
      expect(back.kind).toBe(model.kind);
      expect(Array.from(await back.predict(fx.X, { executor: ex }))).toEqual(Array.from(model.labels));
      expect(Array.from(await back.predictProba(fx.X, { executor: ex }))).toEqual(Array.from(await model.predictProba(fx.X, { executor: ex })));
      expect(Array.from(back.featureImportances)).toEqual(Array.from(model.featureImportances));
    }
  });

  it('refuses malformed tree files, naming the field', async () => {
    const fx = load('tree-iris');
    const json = (await decisionTree(fx.X, fx.y, { maxDepth: 2, executor: ex })).toJSON() as unknown as { tree: { left: number[]; threshold: (number | null)[] } };
    const bad = (edit: (j: typeof json & Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(json));
      edit(copy);
      return failure(() => loadModel(copy));
    };
    expect((await bad((j) => { j.tree.left[2] = 0; })).message).toContain('tree.nodes[');
    expect((await bad((j) => { j.tree.threshold[0] = null; })).message).toContain('tree.threshold[0]');
    expect((await bad((j) => { j.extra = 1; })).message).toContain('"extra" is not a known field');
    expect((await bad((j) => { (j as Record<string, unknown>).classes = [0, 0, 1]; })).message).toContain('classes[1]');
    expect((await bad((j) => { j.kind = 'trees'; })).code).toBe('E_BAD_MODEL');
    // a node with no class weight (its probabilities would be 0 / 0) or one that overflows
    const value = (j: Record<string, unknown>) => (j.tree as unknown as { value: number[][] }).value;
    expect((await bad((j) => { value(j)[2] = value(j)[2].map(() => 0); })).message).toContain('tree.value[2]');
    expect((await bad((j) => { value(j)[0] = value(j)[0].map(() => 1e308); })).message).toContain('must hold a total class weight from 1e-150 to 1e154, got Infinity');
  });

  it('refuses a model object whose arrays have holes (a hole is no value), before anything is scored with it', async () => {
    const X = [[1], [2], [3], [4], [5], [6]], y = [0, 0, 0, 1, 1, 1];
    const tree = (await decisionTree(X, y, { executor: ex })).toJSON() as unknown as { tree: { value: number[][] } };
    expect(tree.tree.value).toEqual([[3, 3], [3, 0], [0, 3]]);
    // the right leaf's class weights left out (a hole where its row was) and its parent's made to add up without
    // them: loaded, it gave rows of x > 3.5 probabilities [0, 0] and segment 0; a hole among a leaf's weights was read
    // as a weight of 0
    const leaf = [0, 3];
    delete leaf[0];
    const cases: [number[][], string][] = [[[[3, 0], [3, 0]], 'tree.value[2]'], [[[3, 3], [3, 0], leaf], 'tree.value[2][0]']];
    for (const [value, field] of cases) {
      const json = JSON.parse(JSON.stringify(tree));
      json.tree.value = value;
      value.length = 3;
      const e = await failure(() => loadModel(json));
      expect(e.code).toBe('E_BAD_MODEL');
      expect(e.message).toContain(`model field "${field}"`);
    }
    // a forest's list of trees with a hole at its end: a TypeError while scoring, before
    const forest = (await randomForest(X, y, { nTrees: 2, executor: ex })).toJSON() as unknown as { trees: unknown[] };
    forest.trees.length = 3;
    const e = await failure(() => loadModel(forest));
    expect(e.code).toBe('E_BAD_MODEL');
    expect(e.message).toBe('model field "trees[2]" must be an object, got undefined');
  });

  it('refuses a file whose largest segment id is past its training rows, before scoring allocates a row per segment', async () => {
    const fx = load('tree-iris');
    type J = { k: number; classes: number[]; nSamples: number; tree?: { count: number[] }; trees?: { count: number[] }[] };
    const tree = (await decisionTree(fx.X, fx.y, { maxDepth: 2, executor: ex })).toJSON() as unknown as J;
    const forest = (await randomForest(fx.X, fx.y, { nTrees: 4, maxDepth: 2, seed: 1, executor: ex })).toJSON() as unknown as J;
    const bad = (from: J, edit: (j: J) => void) => {
      const copy = JSON.parse(JSON.stringify(from)) as J;
      edit(copy);
      try {
        loadModel(copy);
      } catch (e) {
        return e as { code: string; message: string };
      }
      throw new Error('loaded');
    };
    // a fit numbers at most as many segments as it has rows (ids past the rows are refused): segment 299999999 of 150 rows
    const far = (j: J) => { j.classes[2] = 3e8 - 1; j.k = 3e8; };
    for (const json of [tree, forest]) {
      const e = bad(json, far);
      expect(e.code).toBe('E_BAD_MODEL');
      expect(e.message).toBe('model field "k" must be at most nSamples (150), got 300000000');
    }
    // nSamples raised with it: a forest's trees grew on bootstrap samples of about nSamples rows, not of 150
    const e = bad(forest, (j) => { far(j); j.nSamples = 3e8; });
    expect(e.code).toBe('E_BAD_MODEL');
    expect(e.message).toMatch(/^model field "trees\[0\]\.count\[0\]" must be from \d+ to \d+ \(nSamples 300000000\), got \d+$/);
    // fitted forests load, on any number of rows (a few rows: small bootstrap samples), with and without bootstrap
    for (const [rows, bootstrap] of [[150, true], [150, false], [4, true], [2000, true]] as const) {
      const X = Array.from({ length: rows }, (_, i) => [i % 17, (i * 7) % 5]);
      const y = X.map((r, i) => (r[0] > 8 ? 1 : 0) + (i % 3 === 0 ? 2 : 0)).map((c, i) => (i < 4 ? i % 2 : c));
      const f = await randomForest(X, y, { nTrees: 30, bootstrap, seed: rows, executor: ex });
      expect(loadModel(JSON.stringify(f.toJSON())).k).toBe(f.k);
    }
  });

  it('refuses a tree file whose parts disagree: k, class names, a split and its children', async () => {
    const fx = load('tree-iris');
    type TreeJSON = { k: number; classes: number[]; classNames: string[] | null; nSamples: number; tree: { feature: number[]; left: number[]; right: number[]; value: number[][]; count: number[] } };
    const json = (await decisionTree(fx.X, fx.y, { maxDepth: 2, executor: ex })).toJSON() as unknown as TreeJSON;
    const named = (await decisionTree(fx.X, fx.y.map((c: number) => ['setosa', 'versicolor', 'virginica'][c]), { maxDepth: 2, executor: ex })).toJSON() as unknown as TreeJSON;
    const bad = async (from: TreeJSON, edit: (j: TreeJSON) => void) => {
      const copy = JSON.parse(JSON.stringify(from)) as TreeJSON;
      edit(copy);
      const e = await failure(() => loadModel(copy));
      expect(e.code).toBe('E_BAD_MODEL');
      return e.message;
    };
    // a k past the largest class would add probability columns no tree fills (and a huge one would allocate them)
    expect(await bad(json, (j) => { j.k = 4; })).toBe('model field "k" must be the largest class + 1 (3), got 4');
    expect(await bad(json, (j) => { j.k = 1e9; })).toContain('model field "k"');
    // text classes are numbered in sorted order, and every name is a class
    expect(await bad(named, (j) => { j.classNames = ['versicolor', 'setosa', 'virginica']; })).toContain('model field "classNames[1]" must sort after "versicolor"');
    const holed = (await decisionTree(fx.X, fx.y.map((c: number) => 2 * c), { maxDepth: 2, executor: ex })).toJSON() as unknown as TreeJSON;
    expect(holed.k).toBe(5);
    expect(await bad(holed, (j) => { j.classNames = ['a', 'b', 'c', 'd', 'e']; })).toContain('model field "classes" must be every segment id from 0 to 4');
    const t = json.tree;
    expect(t.feature[0]).toBeGreaterThanOrEqual(0);
    const leaf = t.feature.findIndex((f) => f < 0), parent = t.left.indexOf(leaf) >= 0 ? t.left.indexOf(leaf) : t.right.indexOf(leaf);
    // a leaf's class weights made to say another class: its parent no longer adds up
    expect(await bad(json, (j) => { j.tree.value[leaf] = [...j.tree.value[leaf]].reverse(); })).toContain(`model field "tree.value[${parent}][0]" must be the sum of its children's`);
    expect(await bad(json, (j) => { j.tree.count[leaf] += 7; })).toContain(`model field "tree.count[${parent}]" must be the sum of its children's`);
    // right children swapped between a split and the split on its left: each node still has one later parent, but
    // not the rows it holds
    const wine = load('tree-wine');
    const deep = (await decisionTree(wine.X, wine.y, { maxDepth: 3, executor: ex })).toJSON() as unknown as TreeJSON;
    const a = deep.tree.feature.findIndex((f, i) => f >= 0 && deep.tree.feature[deep.tree.left[i]] >= 0), b = deep.tree.left[a];
    expect(a).toBeGreaterThanOrEqual(0);
    expect(await bad(deep, (j) => { [j.tree.right[a], j.tree.right[b]] = [j.tree.right[b], j.tree.right[a]]; })).toMatch(/^model field "tree\.value\[\d+\]\[\d+\]" must be the sum of its children's/);
    expect(await bad(json, (j) => { j.nSamples = 1e300; })).toContain('model field "nSamples"');
    // a single tree's root holds every training row
    expect(await bad(json, (j) => { j.nSamples += 1; })).toBe(`model field "tree.count[0]" must be nSamples (${json.nSamples + 1}): the root holds every training row, got ${json.nSamples}`);
    // every fitted tree and forest, class weights included, adds up
    for (const model of [json, named, holed, deep, (await randomForest(fx.X, fx.y, { nTrees: 5, seed: 2, classWeight: 'balanced', executor: ex })).toJSON()]) {
      expect(loadModel(JSON.stringify(model)).k).toBe((model as TreeJSON).k);
    }
  });

  it('rules in words: conditions, segment, purity and customers', async () => {
    const fx = load('tree-iris');
    const names = ['sepal length', 'sepal width', 'petal length', 'petal width'];
    const text = ['setosa', 'versicolor', 'virginica'];
    const model = await decisionTree({ columns: names.map((_, j) => Float32Array.from(fx.X, (r: number[]) => r[j])), names }, fx.y.map((c: number) => text[c]), { maxDepth: 2, executor: ex });
    expect(model.rules().map((r) => r.text)).toEqual([
      // the split is 2.449999988 (between float32 1.9 and 3.0): a petal length of 2.45 (float32 2.450000048) goes right
      'petal length < 2.45 -> setosa: 100% of 50 customers',
      'petal length >= 2.45 and petal width <= 1.75 -> versicolor: 91% of 54 customers',
      'petal length >= 2.45 and petal width > 1.75 -> virginica: 98% of 46 customers',
    ]);
    expect(model.classNames).toEqual(text);
  });

  it('a threshold in words splits the values as the tree does, however close they are', async () => {
    // 1234560..1234567 in one segment, 1234568..1234575 in the other: the split is 1234567.5, not "1234600"
    const balance = Array.from({ length: 16 }, (_, i) => [1234560 + i]);
    const model = await decisionTree({ columns: [Float32Array.from(balance, (r) => r[0])], names: ['balance'] }, balance.map((_, i) => (i < 8 ? 0 : 1)), { executor: ex });
    expect(model.rules().map((r) => r.text)).toEqual(['balance <= 1234567.5 -> segment 0: 100% of 8 customers', 'balance > 1234567.5 -> segment 1: 100% of 8 customers']);
    // any two neighbouring float32 values and their midpoint (as the trees split): the shown number splits them alike
    const rand = createRandom(3);
    for (let i = 0; i < 20_000; i++) {
      const a = Math.fround((rand.next() - 0.5) * 10 ** (rand.next() * 20 - 10));
      let b = a;
      for (let k = 0; k < 1 + (i % 4); k++) b = Math.fround(b + Math.abs(b) * 1.2e-7 + 1e-45);
      const t = (a + b) / 2;
      const shown = Math.fround(Number(shortNumber(t)));
      expect([a <= shown, b <= shown]).toEqual([a <= t, b <= t]);
      // and as a bound: "x < shown" where its float32 is the first above t
      const bound = thresholdText(t), f = Math.fround(Number(bound.text));
      expect(bound.above ? [a < f, b < f] : [a <= f, b <= f]).toEqual([a <= t, b <= t]);
    }
    expect(shortNumber((Math.fround(2.4) + Math.fround(2.5)) / 2)).toBe('2.45');
    expect(shortNumber((Math.fround(100.011) + Math.fround(100.019)) / 2)).toBe('100.015');
  });

  it('rules and SQL of a tree 12,000 splits deep (a chain a file may hold) without overflowing the stack', async () => {
    const model = chainTree(depth);
    expect(Array.from(await model.predict([[0], [depth - 1], [depth + 5]], { executor: ex }))).toEqual([0, 0, 1]);
    const rules = model.rules();
    expect(rules).toHaveLength(depth + 1);
    expect(rules[0].text).toBe('x <= 0.5 -> segment 0: 100% of 1 customer');
    expect(rules[1].text).toBe('0.5 < x <= 1.5 -> segment 0: 100% of 1 customer');
    expect(rules[depth].text).toBe(`x > ${depth - 0.5} -> segment 1: 100% of 1 customer`);
    const sql = model.toSQL();
    expect(sql.startsWith('CASE WHEN "x" <= 0.5 THEN 0 WHEN "x" > 0.5 AND "x" <= 1.5 THEN 0 ')).toBe(true);
    expect(sql.endsWith(` WHEN "x" > ${depth - 0.5} THEN 1 END`)).toBe(true);
  });

  it('SHAP values of the same tree without overflowing the stack: they add up to the probability less the expected one', () => {
    const model = chainTree(depth);
    const { values, expectedValue } = treeShap(model, [[depth + 5], [3]]);
    // one leaf of segment 1 holds one row of depth + 1
    expect(expectedValue[1]).toBeCloseTo(1 / (depth + 1), 15);
    expect(values[0][1]).toBeCloseTo(1 - 1 / (depth + 1), 12);
    expect(values[0][0]).toBeCloseTo(-(1 - 1 / (depth + 1)), 12);
    expect(values[1][1]).toBeCloseTo(-1 / (depth + 1), 12);
  });
});

describe('probabilities of segment ids that skip', () => {
  // 300 rows, segments 0 and 299: a fit takes ids up to the rows; probabilities are one column per id
  const X = Array.from({ length: 300 }, (_, i) => [(i % 2) * 5 + (i % 7) / 7, (i % 11) / 11]);
  const y = X.map((_, i) => (i % 2 ? 299 : 0));
  it('beyond id 255 are E_BAD_LABELS naming the ids, not n x k mostly empty columns; below it, a column each', async () => {
    for (const m of [await decisionTree(X, y, { executor: ex }), await randomForest(X, y, { nTrees: 3, seed: 1, executor: ex })]) {
      expect([m.k, Array.from(m.classes)]).toEqual([300, [0, 299]]);
      // the rows' segments are still predicted
      expect(Array.from(await m.predict(X, { executor: ex }))).toEqual(y);
      const e = await failure(() => m.predictProba(X, { executor: ex }));
      expect(e.code).toBe('E_BAD_LABELS');
      expect(e.message).toContain('segment ids up to 299: probabilities take a column per id, 300 for 2 segments');
    }
    // ids that skip below 256 keep their columns, 0 for the ids never seen
    const low = await decisionTree(X, X.map((_, i) => (i % 2 ? 200 : 0)), { executor: ex });
    const p = await low.predictProba(X.slice(0, 2), { executor: ex });
    expect(p.length).toBe(2 * 201);
    expect([p[0], p[200], p[201], p[201 + 200]]).toEqual([1, 0, 0, 1]);
  });
});

describe('bad targets and options', () => {
  const X = [[1, 2], [2, 1], [3, 3], [4, 1], [5, 0], [6, 2]];
  it('a target with one class, NaN, more classes than rows, or the wrong length', async () => {
    const one = await failure(() => decisionTree(X, [1, 1, 1, 1, 1, 1], { executor: ex }));
    expect([one.code, one.message]).toEqual(['E_BAD_LABELS', 'target has one class (1) in all 6 rows; a classifier needs at least two']);
    const nan = await failure(() => decisionTree(X, [0, 1, Number.NaN, 0, 1, 0], { executor: ex }));
    expect(nan.code).toBe('E_BAD_LABELS');
    expect(nan.message).toContain('target row 2 holds NaN');
    const many = await failure(() => decisionTree(X, [0, 1, 0, 1, 0, 300], { executor: ex }));
    expect(many.message).toContain('segment id 300, which means 301 segments, but there are only 6 rows');
    // a small filtered file keeps its own ids: segments 7 and 9 of six rows
    const sparse = await decisionTree(X, [7, 7, 7, 9, 9, 9], { executor: ex });
    expect([sparse.k, Array.from(sparse.classes), Array.from(await sparse.predict(X, { executor: ex }))]).toEqual([10, [7, 9], [7, 7, 7, 9, 9, 9]]);
    // and its saved file loads back (k = 10 over 6 rows), for the tree and a forest alike
    for (const m of [sparse, await randomForest(X, [7, 7, 7, 9, 9, 9], { nTrees: 3, seed: 1, executor: ex })]) {
      const back = loadModel(JSON.stringify(m.toJSON())) as TreeEnsemble;
      expect([back.k, Array.from(back.classes), Array.from(await back.predict(X, { executor: ex }))]).toEqual([10, [7, 9], Array.from(await m.predict(X, { executor: ex }))]);
    }
    // past 255 a file's k must still stay within its rows
    const past = { ...(sparse.toJSON() as unknown as Record<string, unknown>), k: 257, classes: [7, 256] };
    expect((await failure(() => loadModel(JSON.stringify(past)))).message).toContain('must be at most nSamples (6), got 257');
    const ids = await failure(() => randomForest(X, ['a', 'b', 'c', 'd', 'e', 'f'], { executor: ex }));
    expect(ids.message).toContain('6 classes in 6 rows');
    expect((await failure(() => decisionTree(X, [0, 1, 0], { executor: ex }))).code).toBe('E_SHAPE_MISMATCH');
    expect((await failure(() => decisionTree(X, [0, 1, 'x', 0, 1, 0] as unknown as number[], { executor: ex }))).code).toBe('E_BAD_LABELS');
    // text labels that differ only by spaces would be two classes
    const spaced = await failure(() => decisionTree(X, ['gold', 'silver', 'gold ', 'silver', 'gold', 'silver'], { executor: ex }));
    expect([spaced.code, spaced.message]).toEqual(['E_BAD_LABELS', 'target holds "gold" and "gold ", which differ only by surrounding spaces (trim the labels, or make them differ in more than spaces)']);
  });

  it('a Dataset whose value was changed to NaN or Infinity after it was made is refused by fits and scoring, as by the other models', async () => {
    const a = Float32Array.of(1, 2, 3, 4, 5, 6), b = Float32Array.of(2, 1, 3, 1, 0, 2);
    const ds = fromColumns({ columns: [a, b], names: ['a', 'b'] });
    const y = [0, 0, 0, 1, 1, 1];
    const tree = await decisionTree(ds, y, { executor: ex });
    const forest = await randomForest(ds, y, { nTrees: 3, seed: 1, executor: ex });
    expect(Array.from(await tree.predict(ds, { executor: ex }))).toEqual(y);
    for (const bad of [Number.NaN, Infinity]) {
      a[4] = bad;
      for (const run of [
        () => tree.predict(ds, { executor: ex }), () => tree.predictProba(ds, { executor: ex }), () => forest.predict(ds, { executor: ex }),
        () => decisionTree(ds, y, { executor: ex }), () => randomForest(ds, y, { nTrees: 3, seed: 1, executor: ex }),
      ]) {
        const e = await failure(run);
        expect(e.code).toBe('E_NAN_INPUT');
        expect(e.message.startsWith(`row 4, column "a" holds ${bad};`)).toBe(true);
      }
    }
  });

  it('options: unknown keys, maxBins, maxFeatures, class weights naming an absent class', async () => {
    const y = [0, 1, 0, 1, 0, 1];
    expect((await failure(() => decisionTree(X, y, { maxDepht: 3 } as never))).message).toContain('did you mean "maxDepth"');
    expect((await failure(() => decisionTree(X, y, { maxBins: 300 }))).message).toContain('maxBins');
    expect((await failure(() => randomForest(X, y, { maxFeatures: 3 }))).message).toContain('maxFeatures');
    expect((await failure(() => decisionTree(X, y, { classWeight: { 2: 1 } }))).message).toContain('names class "2"');
    // a weight whose weighted rows overflow float64 would save a tree no file can hold (values of Infinity)
    const huge = await failure(() => decisionTree(X, y, { classWeight: { 0: 1e308 } }));
    expect(huge.code).toBe('E_BAD_OPTION');
    expect(huge.message).toMatch(/option "classWeight\.0" must be small enough that weight x rows \(3 rows\)/);
    // large and tiny weights whose weighted rows squared stay finite and normal are kept, and their trees save and load
    for (const w of [1e150, 1e-150]) {
      const m = await decisionTree(X, y, { classWeight: { 0: w } });
      expect(loadModel(JSON.stringify(m.toJSON())).k).toBe(2);
    }
    expect((await failure(() => decisionTree([[1, Number.NaN], [2, 1], [3, 3], [4, 1]], [0, 1, 0, 1]))).code).toBe('E_NAN_INPUT');
  });

  it('a forest of any size grows batch by batch: an abort between batches ends the fit with E_ABORTED', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i % 7, i % 5]);
    const y = rows.map((_, i) => i % 2);
    // the first 32 trees (one batch) are the same whatever the number of trees after them
    const small = await randomForest(rows, y, { nTrees: 32, seed: 4, executor: ex });
    const large = await randomForest(rows, y, { nTrees: 40, seed: 4, executor: ex });
    expect(large.trees.slice(0, 32).map((t) => Array.from(t.threshold))).toEqual(small.trees.map((t) => Array.from(t.threshold)));
    // an executor that aborts the fit when its first batch of trees starts growing
    let ac = new AbortController();
    let grows = 0;
    const watching = new Proxy(ex, {
      get(target, key) {
        if (key === 'map') {
          return (...a: Parameters<typeof ex.map>) => {
            if (a[0].name === 'tree.grow' && grows++ === 0) ac.abort();
            return target.map(...a);
          };
        }
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    for (const nTrees of [1e12, Number.MAX_SAFE_INTEGER]) {
      ac = new AbortController();
      grows = 0;
      const e = await failure(() => randomForest(rows, y, { nTrees, seed: 4, signal: ac.signal, executor: watching }));
      expect(e.code).toBe('E_ABORTED');
      expect(grows).toBe(1);
    }
  });

  it('class weights by name: a class named like an Object method ("constructor", "toString") keeps weight 1 when not named', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i % 10, (i * 7) % 13]);
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const y = rows.map((r) => (r[0] < 5 ? name : 'b'));
      const m = await decisionTree(rows, y, { classWeight: { b: 2 }, executor: ex });
      // classes in sorted order: "b" (20 rows, weight 2), then the other (20 rows, weight 1)
      expect(m.classNames).toEqual(['b', name]);
      expect(Array.from(m.tree.value.subarray(0, 2))).toEqual([40, 20]);
      const named = await decisionTree(rows, y, { classWeight: { [name]: 3 }, executor: ex });
      expect(Array.from(named.tree.value.subarray(0, 2))).toEqual([20, 60]);
    }
  });
});
