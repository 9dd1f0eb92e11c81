import { afterAll, describe, expect, it } from 'vitest';
import {
  calinskiHarabaszScore, chooseK, close, inlineExecutor, kmeans, normalizedMutualInfoScore, pipeline, silhouetteScore, SegkitError,
  vMeasureScore,
} from '../src/index.node.js';
import { failure } from './helpers.js';

afterAll(close);

const rows = Array.from({ length: 40 }, (_, i) => [i % 4, (i * 7) % 5, i / 10]);
const labels = rows.map((_, i) => i % 3);

async function badOption(run: () => unknown, ...parts: string[]): Promise<SegkitError> {
  const e = await failure(run);
  expect(e.code).toBe('E_BAD_OPTION');
  for (const p of parts) expect(e.message).toContain(p);
  return e;
}

describe('unknown options are refused, naming the closest known one', () => {
  it('kmeans: maxIters -> did you mean maxIter', async () => {
    await badOption(() => kmeans(rows, { k: 2, maxIters: 5 } as never), 'kmeans', '"maxIters"', 'did you mean "maxIter"');
  });
  it('chooseK: kRnage -> did you mean kRange', async () => {
    await badOption(() => chooseK(rows, { kRnage: [2, 4] } as never), 'chooseK', '"kRnage"', 'did you mean "kRange"');
  });
  it('chooseK: a kRange pair that runs downwards is refused, not read as the list of its two values', async () => {
    await badOption(() => chooseK(rows, { kRange: [6, 2] }), '"kRange"', 'the range [2, 6]?');
    // lists of three or more are taken as they are, in any order
    expect((await chooseK(rows, { kRange: [4, 2, 3], seed: 1 })).table.map((r) => r.k)).toEqual([2, 3, 4]);
  });
  it('chooseK: a listed k at or above the rows is refused, not left out of the table', async () => {
    const few = rows.slice(0, 8);
    await badOption(() => chooseK(few, { kRange: [2, 3, 40] }), '"kRange"', 'k = 40', '8 rows');
    await badOption(() => chooseK(few, { kRange: [2, 8, 3] }), 'k = 8');
    // a pair [min, max] is a range, capped at n - 1
    expect((await chooseK(few, { kRange: [5, 40], seed: 1, stabilityResamples: 0 })).table.map((r) => r.k)).toEqual([5, 6, 7]);
  });
  it('silhouetteScore: sample_size (scikit-learn\'s spelling) -> did you mean sampleSize', async () => {
    await badOption(() => silhouetteScore(rows, labels, { sample_size: 10 } as never), 'silhouetteScore', '"sample_size"', 'did you mean "sampleSize"');
  });
  it('a metric, the external scores, predict and the pipeline check their keys too', async () => {
    await badOption(() => calinskiHarabaszScore(rows, labels, { thread: 2 } as never), 'calinskiHarabaszScore', 'did you mean "threads"');
    await badOption(() => normalizedMutualInfoScore(labels, labels, { average: 'min' } as never), 'did you mean "averageMethod"');
    await badOption(() => vMeasureScore(labels, labels, { betta: 1 } as never), 'did you mean "beta"');
    const m = await kmeans(rows, { k: 2, seed: 1 });
    await badOption(() => m.predict(rows, { sigal: undefined } as never), 'predict', 'did you mean "signal"');
    await badOption(() => pipeline({}).fitTransform([{ a: 1 }, { a: 2 }], { executer: inlineExecutor() } as never), 'fitTransform', 'did you mean "executor"');
  });
  it('a key far from every known one lists the known options in the hint', async () => {
    const e = await badOption(() => kmeans(rows, { k: 2, banana: 1 } as never), '"banana"');
    expect(e.message).not.toContain('did you mean');
    expect(e.hint).toContain('maxIter');
  });
});

describe('run options', () => {
  it('a signal that is not an AbortSignal is E_BAD_OPTION, not a TypeError', async () => {
    await badOption(() => kmeans(rows, { k: 2, signal: 5 } as never), 'option "signal" must be an AbortSignal', 'got 5');
    await badOption(() => silhouetteScore(rows, labels, { signal: {} } as never), 'option "signal" must be an AbortSignal');
  });
  it('an executor and threads together are refused; an executor that is not one is named', async () => {
    await badOption(() => kmeans(rows, { k: 2, executor: inlineExecutor(), threads: 2 }), '"executor" and "threads"');
    await badOption(() => kmeans(rows, { k: 2, executor: { run() {} } } as never), 'option "executor" must be an executor');
  });
  it('onProgress must be a function', async () => {
    await badOption(() => kmeans(rows, { k: 2, onProgress: 'yes' } as never), '"onProgress" must be a function');
  });
});

describe('null options are refused, never read as the default', () => {
  // `?? default` read null as left out: averageMethod: null scored with "arithmetic", a sample's seed: null (scikit-learn's
  // random_state=None, a fresh draw each time) gave seed 0's data, writeCsv's header: null wrote a header
  it('metrics, samples and writeCsv name the option', async () => {
    const { sampleCustomers, sampleEvents, sampleTransactions } = await import('../src/sample/index.js');
    const { writeCsv } = await import('../src/data/writeCsv.js');
    const { homogeneityCompletenessVMeasure } = await import('../src/metrics/homogeneityCompletenessVMeasure.js');
    const { tableFromArrays } = await import('apache-arrow');
    const customers = sampleCustomers({ n: 5, seed: 1 });
    const table = tableFromArrays({ a: Float64Array.from([1, 2]) });
    const runs: [string, () => unknown][] = [
      ['averageMethod', () => normalizedMutualInfoScore([0, 0, 1, 1], [0, 1, 1, 1], { averageMethod: null as never })],
      ['beta', () => vMeasureScore([0, 0, 1, 1], [0, 1, 1, 1], { beta: null as never })],
      ['beta', () => homogeneityCompletenessVMeasure([0, 0, 1, 1], [0, 1, 1, 1], { beta: null as never })],
      ...(['n', 'seed', 'segments'] as const).map((key): [string, () => unknown] => [key, () => sampleCustomers({ n: 5, [key]: null } as never)]),
      ...(['seed', 'days', 'end'] as const).map((key): [string, () => unknown] => [key, () => sampleEvents(customers, { [key]: null } as never)]),
      ...(['seed', 'end'] as const).map((key): [string, () => unknown] => [key, () => sampleTransactions(customers, { [key]: null } as never)]),
      ...(['delimiter', 'header', 'escapeFormulas', 'bom', 'eol'] as const).map((key): [string, () => unknown] => [key, () => writeCsv(table, { [key]: null } as never)]),
    ];
    for (const [key, run] of runs) await badOption(run, `"${key}"`, 'got null');
    // left out, each takes its default
    expect(writeCsv(table, {})).toBe('a\n1.0\n2.0\n');
    expect(normalizedMutualInfoScore([0, 0, 1, 1], [0, 1, 1, 1], {})).toBe(normalizedMutualInfoScore([0, 0, 1, 1], [0, 1, 1, 1], { averageMethod: 'arithmetic' }));
  });
});

describe('arguments of the wrong kind are named, never a TypeError', () => {
  it('the writers, withColumns, segkitColumns and fromArrow take an Arrow Table, and name a Dataset given instead', async () => {
    const s = await import('../src/index.node.js');
    const ds = s.fromRows([[1, 2], [3, 4]]);
    const runs: [string, () => unknown][] = [
      ['writeCsv', () => s.writeCsv(ds as never)], ['writeJson', () => s.writeJson(ds as never)],
      ['writeParquet', () => s.writeParquet(ds as never)], ['writeArrow', () => s.writeArrow(ds as never)],
      ['withColumns', () => s.withColumns(ds as never, { a: Int32Array.from([1, 2]) })], ['segkitColumns', () => s.segkitColumns(ds as never)],
      ['fromArrow', () => s.fromArrow(ds as never)], ['writeTable', () => s.writeTable('/nonexistent/out.csv', ds as never)],
    ];
    for (const [fn, run] of runs) await badOption(run, `${fn}: the table must be an Arrow Table, got a Dataset`);
    await badOption(() => s.writeCsv(undefined as never), 'writeCsv: the table must be an Arrow Table, got undefined');
  });
  it('options and seeds of the wrong kind', async () => {
    const s = await import('../src/index.node.js');
    const { createRandom } = await import('../src/util/random.js');
    await badOption(() => s.fromRows([[1, 2]], null as never), 'fromRows: options must be an object, got null');
    await badOption(() => s.toDataset([[1, 2]], null as never), 'toDataset: options must be an object, got null');
    await badOption(() => s.fromColumns(undefined as never), 'fromColumns takes { columns, names? }, got undefined');
    await badOption(() => s.readTable('x.csv', null as never), 'readTable: options must be an object, got null');
    await badOption(() => s.readTable(10n as never), 'got bigint');
    await badOption(() => s.defaultRestarts(Symbol('x') as never), 'option "rows"');
    // NaN, undefined or a string ran as seed 0: the same draws as createRandom(0)
    for (const seed of [NaN, undefined, '7', Infinity]) await badOption(() => createRandom(seed as never), 'option "seed"');
    expect(createRandom(7.9).next()).toBe(createRandom(7).next());
  });
});

describe('null options of the fits and workflows are refused, never read as the default', () => {
  // scikit-learn's None means something of its own in several of these (max_features=None: every feature; max_depth=None:
  // no limit; random_state=None: a fresh draw), which the default silently replaced
  it('names each option', async () => {
    const s = await import('../src/index.node.js');
    const ex = inlineExecutor();
    const y = Int32Array.from(rows, (_, i) => i % 3);
    const km = await s.kmeans(rows, { k: 3, seed: 1, executor: ex });
    const tree = await s.decisionTree(rows, y, { executor: ex });
    const cases: [(o: object) => unknown, string[]][] = [
      [(o) => s.kmeans(rows, { k: 3, executor: ex, ...o }), ['init', 'maxIter', 'tol', 'seed']],
      [(o) => s.miniBatchKMeans(rows, { k: 3, executor: ex, ...o }), ['init', 'batchSize', 'maxIter', 'tol', 'reassignmentRatio']],
      [(o) => s.gaussianMixture(rows, { k: 2, executor: ex, ...o }), ['covarianceType', 'init', 'maxIter', 'tol', 'regCovar']],
      [(o) => s.dbscan(rows, { eps: 2, executor: ex, ...o }), ['minSamples', 'metric']],
      [(o) => s.agglomerative(rows, { k: 3, executor: ex, ...o }), ['linkage']],
      [(o) => s.randomForest(rows, y, { nTrees: 2, executor: ex, ...o }), ['nTrees', 'maxFeatures', 'bootstrap', 'seed', 'minSamplesLeaf']],
      [(o) => s.segmentRules(rows, km.labels, { executor: ex, ...o }), ['maxDepth', 'minSamplesLeaf']],
      [(o) => s.permutationImportance(tree, rows, y, { executor: ex, ...o }), ['repeats', 'seed']],
      [(o) => s.chooseK(rows, { kRange: [2, 3], executor: ex, ...o }), ['silhouetteSampleSize', 'algorithm', 'seed', 'nInit', 'stabilityResamples']],
      [(o) => s.refit(km, rows, { executor: ex, ...o }), ['overlap', 'seed', 'nInit']],
      [(o) => s.splitFolds(y, o), ['folds', 'stratified', 'seed']],
      [(o) => s.trainTestSplit(rows, y, o), ['testSize', 'stratified', 'seed']],
      [(o) => tree.toSQL(o), ['as', 'table']],
    ];
    try {
      for (const [run, keys] of cases) {
        await run({});
        for (const key of keys) await badOption(() => run({ [key]: null }), `"${key}"`);
      }
    } finally {
      await ex.close();
    }
  }, 60_000);
});

describe('null reader options are refused, never read as the default', () => {
  it('readCsv, readTable (a TSV file\'s delimiter) and fromArrow name the option', async () => {
    const s = await import('../src/index.node.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    // delimiter: null read "a;b" as one column; nullValues: null kept the default missing tokens
    for (const key of ['delimiter', 'quote', 'decimal', 'maxColumns', 'parseDates', 'float32', 'nullValues', 'types', 'asWritten']) {
      await badOption(() => s.readCsv('a;b\n1;2\n', { [key]: null } as never), `"${key}"`, 'got null');
    }
    const tsv = join(mkdtempSync(join(tmpdir(), 'segkit-null-')), 't.tsv');
    writeFileSync(tsv, 'a\tb\n1\t2\n');
    await badOption(() => s.readTable(tsv, { delimiter: null } as never), '"delimiter"', 'got null');
    expect((await s.readTable(tsv)).numCols).toBe(2);
    await badOption(async () => s.fromArrow(await s.readTable(tsv), null as never), 'fromArrow: options must be an object, got null');
  });
});
