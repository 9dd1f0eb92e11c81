// Class weights whose squares leave float64 (the Gini impurity squares a node's weight), and toSQL's table and
// column name options: refused with the option named, never a tree of NaN impurities or a TypeError.
import { afterAll, describe, expect, it } from 'vitest';
import { close, decisionTree, inlineExecutor, loadModel, randomForest } from '../src/index.js';
import { failure } from './helpers.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});

const X = [[0, 1], [1, 0], [2, 1], [3, 0], [4, 1], [5, 0], [6, 1], [7, 0]];
const y = [0, 0, 0, 1, 1, 0, 1, 1];

describe('class weights', () => {
  it('weights whose weighted rows squared overflow or underflow are refused, naming the class', async () => {
    // 1e300 x 4 rows squared is Infinity: every impurity was Infinity / Infinity, importances NaN and pure nodes split
    const huge = await failure(() => decisionTree(X, y, { classWeight: { 0: 1e300 }, executor: ex }));
    expect(huge.code).toBe('E_BAD_OPTION');
    expect(huge.message).toMatch(/^option "classWeight\.0" must be small enough that weight x rows \(4 rows\)/);
    const both = await failure(() => randomForest(X, y, { nTrees: 3, classWeight: { 0: 1e160, 1: 1e160 }, executor: ex }));
    expect(both.message).toContain('option "classWeight.');
    // 1e-300 squared is 0: a node of both classes had impurity 0 / 0
    const tiny = await failure(() => decisionTree(X, y, { classWeight: { 0: 1e-300, 1: 1e-300 }, executor: ex }));
    expect(tiny.code).toBe('E_BAD_OPTION');
    expect(tiny.message).toBe('option "classWeight.0" must be a finite number >= 1e-150, got 1e-300');
  });

  it('weights at the edges of the range give the unweighted tree (Gini is scale-free) and importances summing to 1', async () => {
    const plain = await decisionTree(X, y, { executor: ex });
    for (const w of [1e-150, 1e150]) {
      const m = await decisionTree(X, y, { classWeight: { 0: w, 1: w }, executor: ex });
      expect(Array.from(m.tree.feature)).toEqual(Array.from(plain.tree.feature));
      expect(Array.from(m.tree.threshold)).toEqual(Array.from(plain.tree.threshold));
      // every split is on x0: it takes all the importance (NaN before, from Infinity / Infinity or 0 / 0)
      expect(Array.from(m.featureImportances)).toEqual([1, 0]);
      for (let i = 0; i < m.tree.impurity.length; i++) expect(m.tree.impurity[i]).toBeCloseTo(plain.tree.impurity[i], 12);
    }
  });

  it('a saved tree whose node weights square out of float64 is refused on loading', async () => {
    const json = (await decisionTree(X, y, { executor: ex })).toJSON() as unknown as { tree: { value: number[][] } };
    for (const scale of [1e300, 1e-300]) {
      const scaled = { ...json, tree: { ...json.tree, value: json.tree.value.map((v) => v.map((x) => x * scale)) } };
      const e = await failure(() => loadModel(JSON.stringify(scaled)));
      expect(e.message).toBe(`model field "tree.value[0]" must hold a total class weight from 1e-150 to 1e154, got ${8 * scale}`);
    }
  });
});

describe('toSQL names', () => {
  it('a table or column name that is not a non-empty string is refused, naming the option', async () => {
    const tree = await decisionTree(X, y, { executor: ex });
    const forest = await randomForest(X, y, { nTrees: 2, seed: 1, executor: ex });
    for (const m of [tree, forest]) {
      // a number was a TypeError (name.replace is not a function); "" made FROM "" and AS "", SQL no engine runs
      for (const [key, v] of [['table', 5], ['table', ''], ['as', 7], ['as', '']] as const) {
        const e = await failure(() => m.toSQL({ table: 'customers', [key]: v } as never));
        expect(e.code).toBe('E_BAD_OPTION');
        expect(e.message).toBe(`option "${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
      }
    }
    expect(tree.toSQL({ table: 'c', as: 's' })).toMatch(/^SELECT \*, CASE .* END AS "s" FROM "c"$/);
  });
});
