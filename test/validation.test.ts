// Validation: classification scores against scikit-learn, stratified folds and splits, cross-validated random
// forests on scikit-learn's own folds.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  classificationScores, close, crossValidate, decisionTree, inlineExecutor, randomForest, splitFolds, trainTestSplit,
} from '../src/index.js';
import { abTest } from '../src/workflow/abTest.js';
import { failure } from './helpers.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});
const load = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

describe('classificationScores', () => {
  it('matches scikit-learn (a class predicted but never true scores 0, as zero_division=0)', () => {
    const fx = load('classification-metrics');
    const s = classificationScores(fx.y_true, fx.y_pred);
    expect(s.labels).toEqual(fx.labels);
    expect(s.accuracy).toBeCloseTo(fx.accuracy, 14);
    expect(s.balancedAccuracy).toBeCloseTo(fx.balanced_accuracy, 14);
    for (const [mine, theirs] of [[s.precision, fx.precision], [s.recall, fx.recall], [s.f1, fx.f1]] as const) {
      expect(mine).toHaveLength(theirs.length);
      mine.forEach((v, j) => expect(v).toBeCloseTo(theirs[j], 14));
    }
    expect(s.support).toEqual(fx.support);
    expect(s.precisionMacro).toBeCloseTo(fx.precision_macro, 14);
    expect(s.recallMacro).toBeCloseTo(fx.recall_macro, 14);
    expect(s.f1Macro).toBeCloseTo(fx.f1_macro, 14);
    expect(s.confusion).toEqual(fx.confusion_matrix);
  });
});

// 3 classes of 97, 41 and 12 rows
const target = Int32Array.from({ length: 150 }, (_, i) => (i % 25 < 16 ? 0 : i % 25 < 23 ? 1 : 2).valueOf()).map((v, i) => (i >= 148 ? 2 : v));
const counts = [0, 0, 0];
for (const v of target) counts[v]++;

describe('splitFolds and trainTestSplit', () => {
  it('stratified folds part the rows and keep every class share within one row', () => {
    for (const K of [2, 3, 5, 7]) {
      const folds = splitFolds(target, { folds: K, seed: 4 });
      expect(folds).toHaveLength(K);
      const all = folds.flatMap((f) => Array.from(f)).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 150 }, (_, i) => i));
      const sizes = folds.map((f) => f.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      for (const f of folds) {
        for (let c = 0; c < 3; c++) {
          const inFold = Array.from(f).filter((r) => target[r] === c).length;
          expect(Math.abs(inFold - counts[c] / K), `K ${K} class ${c}`).toBeLessThan(1);
        }
      }
    }
    expect(splitFolds(target, { seed: 1 }).map((f) => Array.from(f))).toEqual(splitFolds(target, { seed: 1 }).map((f) => Array.from(f)));
    expect(splitFolds(target, { seed: 1 })[0]).not.toEqual(splitFolds(target, { seed: 2 })[0]);
  });

  it('trainTestSplit: each class within one row of its share of the test rows; rows kept in order', () => {
    const X = Array.from({ length: 150 }, (_, i) => [i, i % 7]);
    const { train, test } = trainTestSplit(X, target, { testSize: 0.3, seed: 2 });
    expect(test.rows.length).toBe(45);
    expect(train.rows.length).toBe(105);
    for (let c = 0; c < 3; c++) {
      const got = Array.from(test.rows).filter((r) => target[r] === c).length;
      expect(Math.abs(got - counts[c] * 0.3)).toBeLessThan(1);
    }
    expect(Array.from(test.data.columns[0])).toEqual(Array.from(test.rows));
    expect(Array.from(test.target as Int32Array)).toEqual(Array.from(test.rows, (r) => target[r]));
  });

  it('trainTestSplit refuses a class of one row when stratified, as scikit-learn does, rather than leaving it out of a part', async () => {
    // sklearn train_test_split(..., stratify=y): "The least populated class in y has only 1 member, which is too few"
    const X = Array.from({ length: 7 }, (_, i) => [i]);
    const y = ['a', 'a', 'a', 'b', 'b', 'b', 'c'];
    const e = await failure(() => trainTestSplit(X, y, { testSize: 0.3, seed: 0 }));
    expect(e.code).toBe('E_BAD_LABELS');
    expect(e.message).toContain('class "c" has only 1 row');
    expect((await failure(() => trainTestSplit(X, [0, 0, 0, 1, 1, 1, 2]))).message).toContain('class 2 has only 1 row');
    // unstratified, the class simply falls where the draw puts it
    const { train, test } = trainTestSplit(X, y, { testSize: 0.3, seed: 0, stratified: false });
    expect(train.rows.length + test.rows.length).toBe(7);
  });

  it("trainTestSplit's parts take the segment ids the whole target's fit takes: ids past the training rows (300 of 350 customers)", async () => {
    const n = 350;
    const X = Array.from({ length: n }, (_, i) => [(i % 3) + ((i * 37) % 11) / 20, (i * 7919) % 13]);
    const ranks = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? (i + 1) % 3 : i % 3));
    const ids = ranks.map((r) => 100 * (r + 1));
    await decisionTree(X, ids, { maxDepth: 3, executor: ex });
    const sparse = trainTestSplit(X, ids, { testSize: 0.25, seed: 1 });
    const twin = trainTestSplit(X, ranks, { testSize: 0.25, seed: 1 });
    expect(sparse.train.rows.length).toBe(262);
    expect(sparse.train.rows).toEqual(twin.train.rows);
    // the training part's 262 rows reach segment 300: the same tree as on segments 0, 1 and 2, given back as the ids
    const model = await decisionTree(sparse.train.data, sparse.train.target, { maxDepth: 3, executor: ex });
    const plain = await decisionTree(twin.train.data, twin.train.target, { maxDepth: 3, executor: ex });
    expect(model.k).toBe(301);
    expect(Array.from(model.classes)).toEqual([100, 200, 300]);
    expect(model.tree.feature).toEqual(plain.tree.feature);
    const got = await model.predict(sparse.test.data, { executor: ex });
    const want = await plain.predict(twin.test.data, { executor: ex });
    expect([...got]).toEqual(Array.from(want, (r) => 100 * (r + 1)));
    // and as many classes as the whole target has, though they reach the training part's rows (5 classes, 3 rows)
    const small = trainTestSplit([[0], [0.1], [1.3], [2.2], [3.6], [4.1]], [0, 0, 1, 2, 3, 4], { testSize: 0.5, seed: 0, stratified: false });
    const classes = new Set(small.train.target as Int32Array).size;
    const tree = await decisionTree(small.train.data, small.train.target, { executor: ex });
    expect(tree.nClasses).toBe(classes);
    expect([...tree.labels]).toEqual([...(small.train.target as Int32Array)]);
  });

  it('rejects bad options and targets', async () => {
    expect((await failure(() => splitFolds(target, { folds: 1 }))).code).toBe('E_BAD_OPTION');
    expect((await failure(() => trainTestSplit([[1], [2], [3], [4]], [0, 1, 0, 1], { testSize: 1.5 }))).message).toContain('testSize');
    expect((await failure(() => splitFolds([0, 0, 0, 0]))).code).toBe('E_BAD_LABELS');
  });

  it('splitFolds refuses an option it does not know, naming the one meant, rather than folding as if it were absent', async () => {
    for (const [options, near] of [[{ stratify: false }, 'stratified'], [{ fold: 3 }, 'folds'], [{ nFolds: 3 }, undefined]] as const) {
      const e = await failure(() => splitFolds(target, options as never));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain(`splitFolds: unknown option "${Object.keys(options)[0]}"${near ? `; did you mean "${near}"?` : ''}`);
    }
    // crossValidate hands splitFolds only the options that are splitFolds' own
    const ac = new AbortController();
    const cv = await crossValidate((d, t) => decisionTree(d, t, { executor: ex }), [[1], [2], [3], [4], [5], [6]], [0, 1, 0, 1, 0, 1], { folds: 2, signal: ac.signal });
    expect(cv.folds).toHaveLength(2);
  });

  it('a stratified flag that is not true or false is refused, not read as true', async () => {
    const X = [[1], [2], [3], [4], [5], [6]];
    const y = [0, 1, 0, 1, 0, 1];
    for (const bad of ['false', 0, 'no']) {
      const options = { stratified: bad } as unknown as { stratified: boolean };
      for (const run of [() => splitFolds(y, { folds: 2, ...options }), () => trainTestSplit(X, y, options), () => crossValidate((d, t) => decisionTree(d, t, { executor: ex }), X, y, { folds: 2, ...options })]) {
        const e = await failure(run);
        expect(e.code).toBe('E_BAD_OPTION');
        expect(e.message).toContain('option "stratified" must be true or false');
      }
    }
  });
});

describe('crossValidate', () => {
  for (const name of ['tree-iris', 'tree-wine']) {
    it(`${name}: a 100-tree forest scores within 0.02 of scikit-learn's RandomForestClassifier on the same folds`, async () => {
      const fx = load(name);
      const n = fx.X.length;
      const acc: number[] = [];
      for (const test of fx.cv.test_indices as number[][]) {
        const inTest = new Set(test);
        const train = Array.from({ length: n }, (_, i) => i).filter((i) => !inTest.has(i));
        const forest = await randomForest(train.map((i) => fx.X[i]), train.map((i) => fx.y[i]), { nTrees: 100, seed: 0, executor: ex });
        const pred = await forest.predict(test.map((i) => fx.X[i]), { executor: ex });
        acc.push(pred.filter((p, q) => p === fx.y[test[q]]).length / test.length);
      }
      const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
      expect(Math.abs(mean - fx.cv.random_forest.mean_accuracy), `${acc} vs ${fx.cv.random_forest.accuracy_per_fold}`).toBeLessThanOrEqual(0.02);
    }, 120_000);
  }

  it('scores every fold and pools the held-out predictions; text targets become segment ids', async () => {
    const fx = load('tree-iris');
    const names = (fx.y as number[]).map((c) => ['setosa', 'versicolor', 'virginica'][c]);
    const cv = await crossValidate((d, t) => decisionTree(d, t, { maxDepth: 3, executor: ex }), fx.X, names, { folds: 5, seed: 0 });
    expect(cv.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(cv.folds).toHaveLength(5);
    for (const f of cv.folds) {
      expect(f.trainRows + f.testRows.length).toBe(150);
      expect(f.scores.accuracy).toBe(f.predicted.filter((p, q) => p === fx.y[f.testRows[q]]).length / f.testRows.length);
    }
    expect(cv.mean.accuracy).toBeCloseTo(cv.folds.reduce((a, f) => a + f.scores.accuracy, 0) / 5, 14);
    // pooled confusion: every row once
    expect(cv.pooled.confusion.flat().reduce((a, b) => a + b, 0)).toBe(150);
    expect(cv.mean.accuracy).toBeGreaterThan(0.85);
  });

  it('a fold whose training rows lose a rare segment says which fold, not that the whole target has one class', async () => {
    const X = [[1, 2], [2, 3], [3, 1], [4, 5], [5, 5]];
    const y = [0, 0, 0, 1, 0];
    // the one row of segment 1 is tested in one fold, whose training rows then hold segment 0 only
    const folds = splitFolds(y, { folds: 4, seed: 0 });
    const lonely = folds.findIndex((f) => f.includes(3));
    const e = await failure(() => crossValidate((d, t) => decisionTree(d, t, { executor: ex }), X, y, { folds: 4, seed: 0 }));
    expect(e.code).toBe('E_BAD_LABELS');
    expect(e.message).toContain(`fold ${lonely + 1} of 4`);
    expect(e.message).toContain(`(${5 - folds[lonely].length} training rows): target has one class`);
    expect(e.message).toContain('fewer folds');
  });

  it("a fold's fit takes the segment ids the whole target's takes: ids past the fold's rows (300 of 350 customers)", async () => {
    const n = 350;
    const X = Array.from({ length: n }, (_, i) => [(i % 3) + ((i * 37) % 11) / 20, (i * 7919) % 13]);
    // every tenth customer in the next segment, so the folds' scores are not all 1
    const ranks = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? (i + 1) % 3 : i % 3));
    const ids = ranks.map((r) => 100 * (r + 1));
    const given: number[][] = [];
    const fit = (weights: Record<string, number>) => (d: Parameters<typeof decisionTree>[0], t: Int32Array) => {
      given.push([...new Set(t)].sort((a, b) => a - b));
      return decisionTree(d, t, { maxDepth: 3, classWeight: weights, executor: ex });
    };
    // the whole target's fit takes segments 100, 200 and 300; each fold's 233 or 234 training rows do too, and the
    // results are those of segments 0, 1 and 2 (the same folds, the same trees), given back as the ids
    await decisionTree(X, ids, { maxDepth: 3, executor: ex });
    const cv = await crossValidate(fit({ 300: 4 }), X, ids, { folds: 3, seed: 0 });
    expect(given).toEqual([[100, 200, 300], [100, 200, 300], [100, 200, 300]]);
    const twin = await crossValidate(fit({ 2: 4 }), X, ranks, { folds: 3, seed: 0 });
    cv.folds.forEach((f, i) => {
      expect(f.trainRows).toBeLessThan(300);
      expect(f.testRows).toEqual(twin.folds[i].testRows);
      expect([...f.predicted]).toEqual(Array.from(twin.folds[i].predicted, (r) => 100 * (r + 1)));
      expect(f.scores.accuracy).toBe(twin.folds[i].scores.accuracy);
    });
    expect(cv.mean).toEqual(twin.mean);
    expect(cv.pooled.labels).toEqual([100, 200, 300]);
    expect(cv.mean.accuracy).toBeGreaterThan(0.85);
    expect(cv.mean.accuracy).toBeLessThan(1);
  });

  it("a fold's own cross-validation (nested) takes the ids its whole target takes: segment 300 in folds of 155 rows", async () => {
    const n = 350;
    const X = Array.from({ length: n }, (_, i) => [(i % 3) + ((i * 37) % 11) / 20, (i * 7919) % 13]);
    const ranks = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? (i + 1) % 3 : i % 3));
    const tree = (d: Parameters<typeof decisionTree>[0], t: ArrayLike<number>) => decisionTree(d, t, { maxDepth: 3, executor: ex });
    // each outer fold scores its model by an inner cross-validation of its 233 rows, as model selection does
    const nested = (ids: number[]) => {
      const inner: number[] = [];
      return crossValidate(async (d, t) => {
        inner.push((await crossValidate(tree, d, t, { folds: 3, seed: 1 })).mean.accuracy);
        return tree(d, t);
      }, X, ids, { folds: 3, seed: 0 }).then((cv) => ({ outer: cv.mean.accuracy, inner }));
    };
    const sparse = await nested(ranks.map((r) => 100 * (r + 1)));
    expect(sparse).toEqual(await nested(ranks));
    expect(sparse.inner).toHaveLength(3);
    expect(sparse.outer).toBeGreaterThan(0.85);
  });

  it("a fold's fit takes as many classes as the whole target's, though they reach its training rows", async () => {
    // five classes in six rows: a fold's four training rows hold three or four of them
    const X = [[0], [0.1], [1.3], [2.2], [3.6], [4.1]], y = [0, 0, 1, 2, 3, 4];
    await decisionTree(X, y, { executor: ex });
    const cv = await crossValidate((d, t) => decisionTree(d, t, { executor: ex }), X, y, { folds: 3, seed: 0, stratified: false });
    // a tree grown to single-class leaves on one feature predicts the class of the nearest training value
    for (const f of cv.folds) {
      const train = X.map((_, i) => i).filter((i) => !f.testRows.includes(i));
      const nearest = Array.from(f.testRows, (r) => y[train.reduce((a, b) => (Math.abs(X[b][0] - X[r][0]) < Math.abs(X[a][0] - X[r][0]) ? b : a))]);
      expect([...f.predicted]).toEqual(nearest);
    }
  });

  it("a fold's classWeight may name a segment of the whole target that none of the fold's training rows holds", async () => {
    // segment 2 ("rare") has one row: the fold that tests it trains on segments 0 and 1 only
    const X = Array.from({ length: 30 }, (_, i) => [i, i % 4]);
    const names = X.map((_, i) => (i === 29 ? 'rare' : i < 15 ? 'a' : 'b'));
    const ids = names.map((s) => ['a', 'b', 'rare'].indexOf(s));
    await decisionTree(X, ids, { classWeight: { 2: 3 }, executor: ex });
    const given: number[][] = [];
    const weighted = await crossValidate((d, t) => {
      given.push([...new Set(t)].sort());
      return decisionTree(d, t, { classWeight: { 2: 3 }, executor: ex });
    }, X, names, { folds: 3, seed: 0 });
    expect(given.filter((c) => !c.includes(2))).toHaveLength(1);
    // where the fold holds no row of segment 2, its weight weighs nothing: the folds are those of the fit without it
    const plain = await crossValidate((d, t) => decisionTree(d, t, { executor: ex }), X, names, { folds: 3, seed: 0 });
    const lonely = weighted.folds.findIndex((f) => f.testRows.includes(29));
    expect([...weighted.folds[lonely].predicted]).toEqual([...plain.folds[lonely].predicted]);
    // a class weight naming no segment of the whole target is still refused, in a fold as in the whole fit
    const e = await failure(() => crossValidate((d, t) => decisionTree(d, t, { classWeight: { 3: 2 }, executor: ex }), X, names, { folds: 3, seed: 0 }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('names class "3", which is not in the target');
    // a part of trainTestSplit takes a weight for the whole target's classes too: of 27 test rows, "rare" (2 rows, a
    // share of 1.8) gives both by the largest remainder, and the training part holds "a" and "b" only
    const y = X.map((_, i) => (i >= 28 ? 'rare' : i % 2 ? 'a' : 'b'));
    const { train, test } = trainTestSplit(X, y, { testSize: 0.9, seed: 0 });
    expect((test.target as string[]).filter((s) => s === 'rare')).toHaveLength(2);
    const part = await decisionTree(train.data, train.target, { classWeight: { rare: 3 }, executor: ex });
    const unweighted = await decisionTree(train.data, train.target, { executor: ex });
    expect(part.classNames).toEqual(['a', 'b']);
    expect(part.toJSON()).toEqual(unweighted.toJSON());
    // the text training part of a split, cross-validated: its folds' ids are those of its own classes, weighed by id
    const split = trainTestSplit(X, names, { testSize: 0.1, seed: 0, stratified: false });
    expect((split.train.target as string[]).filter((s) => s === 'rare')).toHaveLength(1);
    const cv = await crossValidate((d, t) => decisionTree(d, t, { classWeight: { 2: 3 }, executor: ex }), split.train.data, split.train.target, { folds: 3, seed: 0 });
    expect(cv.classNames).toEqual(['a', 'b', 'rare']);
    expect(cv.folds).toHaveLength(3);
  });

  it('text labels are the strings they are: "café" composed and decomposed are two classes and two segments, as documented', async () => {
    const nfc = 'caf\u00e9', nfd = 'cafe\u0301';
    expect(nfc.normalize('NFC')).toBe(nfd.normalize('NFC'));
    const X = Array.from({ length: 12 }, (_, i) => [i]);
    const y = X.map(([x]) => (x < 4 ? nfc : x < 8 ? nfd : 'tea'));
    const tree = await decisionTree(X, y, { executor: ex });
    // sorted as strings: "cafe\u0301" < "caf\u00e9" < "tea"
    expect(tree.classNames).toEqual([nfd, nfc, 'tea']);
    expect([...(await tree.predict(X, { executor: ex }))]).toEqual(X.map(([x]) => (x < 4 ? 1 : x < 8 ? 0 : 2)));
    const cv = await crossValidate((d, t) => decisionTree(d, t, { executor: ex }), X, y, { folds: 2, seed: 0 });
    expect(cv.classNames).toEqual([nfd, nfc, 'tea']);
    // the same labels written in one form (NFC) are one class
    expect((await decisionTree(X, y.map((s) => s.normalize('NFC')), { executor: ex })).classNames).toEqual([nfc, 'tea']);
    const rows = Array.from({ length: 40 }, (_, i) => ({ segment: i % 2 ? nfc : nfd, variant: i % 4 < 2 ? 'control' : 'B', converted: (i * 7) % 3 === 0 ? 1 : 0 }));
    expect(abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted' }).segments.map((c) => c.segment).sort()).toEqual([nfd, nfc]);
  });

  it('a fit that returns no model with predict is refused naming "fit", not a TypeError', async () => {
    const X = [[1], [2], [3], [4], [5], [6]], y = [0, 1, 0, 1, 0, 1];
    for (const bad of [() => ({}), () => undefined, async () => ({ predict: 'yes' })]) {
      const e = await failure(() => crossValidate(bad as never, X, y, { folds: 2 }));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain('option "fit" must be a function returning a model with predict(data)');
    }
  });

  it('a model whose predict gives no labels (undefined, a number) or a label count other than the rows is refused naming "fit", not a TypeError', async () => {
    const X = [[1], [2], [3], [4], [5], [6]], y = [0, 1, 0, 1, 0, 1];
    for (const out of [undefined, null, 3, new Int32Array(2), [0, 1, 0, 1]]) {
      const e = await failure(() => crossValidate(() => ({ predict: async () => out as never }), X, y, { folds: 2 }));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain('option "fit" must be a function returning a model whose predict(data) gives a segment id per row');
    }
  });
});
