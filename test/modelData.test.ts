import { afterAll, describe, expect, it } from 'vitest';
import { Field, Float32, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow';
import { kmeans } from '../src/core/kmeans.js';
import { gaussianMixture } from '../src/core/gaussianMixture.js';
import { miniBatchKMeans } from '../src/core/miniBatchKMeans.js';
import { randomForest } from '../src/core/forestModel.js';
import { fromColumns } from '../src/data/dataset.js';
import { pipeline } from '../src/prep/pipeline.js';
import { close } from '../src/index.node.js';
import { SegkitError } from '../src/util/errors.js';

afterAll(() => close());

// two groups told apart by a alone: b is noise of the same spread in both
const n = 200;
const a = Float32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 10) + ((i * 7) % 13) / 13);
const b = Float32Array.from({ length: n }, (_, i) => ((i * 5) % 11) / 11);
const named = fromColumns({ columns: [a, b], names: ['a', 'b'] });
const swapped = fromColumns({ columns: [b, a], names: ['b', 'a'] });
const unnamed = fromColumns({ columns: [a, b] });

async function failure(run: () => Promise<unknown>): Promise<SegkitError> {
  const e = await run().then(() => undefined, (error: unknown) => error);
  expect(e).toBeInstanceOf(SegkitError);
  return e as SegkitError;
}

describe('models read named data by name', () => {
  it('k-means, mini-batch and mixtures: the same labels whatever the order of named columns', async () => {
    for (const model of [
      await kmeans(named, { k: 2, seed: 1, threads: 1 }),
      await miniBatchKMeans(named, { k: 2, seed: 1, threads: 1 }),
      await gaussianMixture(named, { k: 2, seed: 1, threads: 1 }),
    ]) {
      const want = Array.from(await model.predict(named, { threads: 1 }));
      // the groups are told apart: half the rows in each
      expect(want.filter((l) => l === want[0]).length).toBe(n / 2);
      expect(Array.from(await model.predict(swapped, { threads: 1 }))).toEqual(want);
      // unnamed columns go by position
      expect(Array.from(await model.predict(unnamed, { threads: 1 }))).toEqual(want);
      // named ones by name, so another column beside them is left alone, as in a table
      const extra = fromColumns({ columns: [b, Float32Array.from(a, (v) => -v), a], names: ['b', 'spend', 'a'] });
      expect(Array.from(await model.predict(extra, { threads: 1 }))).toEqual(want);
      // columns the model does not read are refused, naming the one missing
      const e = await failure(() => model.predict(fromColumns({ columns: [a, b], names: ['a', 'c'] }), { threads: 1 }));
      expect(e.code).toBe('E_MISSING_COLUMN');
      expect(e.message).toContain('no column "b", which the model reads');
    }
  });

  it('a model fitted on unnamed columns reads data named x1, x0 by those names, not by position', async () => {
    for (const model of [
      await kmeans(unnamed, { k: 2, seed: 1, threads: 1 }),
      await gaussianMixture(unnamed, { k: 2, seed: 1, threads: 1 }),
    ]) {
      const want = Array.from(await model.predict(unnamed, { threads: 1 }));
      expect(want.filter((l) => l === want[0]).length).toBe(n / 2);
      const turned = fromColumns({ columns: [b, a], names: ['x1', 'x0'] });
      expect(Array.from(await model.predict(turned, { threads: 1 }))).toEqual(want);
      // other names still go by position
      expect(Array.from(await model.predict(fromColumns({ columns: [a, b], names: ['a', 'b'] }), { threads: 1 }))).toEqual(want);
    }
  });

  it('rows and unnamed columns take the model\'s names, so a bad value is named by its feature', async () => {
    const model = await kmeans(named, { k: 2, seed: 1, threads: 1 });
    const e = await failure(() => model.predict([[1, Number.NaN]], { threads: 1 }));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toMatch(/^row 0, column "b" holds NaN/);
    const f = await failure(() => model.predict({ columns: [Float64Array.of(Infinity), Float64Array.of(1)] }, { threads: 1 }));
    expect(f.message).toMatch(/^row 0, column "a" holds Infinity/);
  });

  it('partialFit takes swapped named columns as the same rows', async () => {
    const one = await miniBatchKMeans(named, { k: 2, seed: 3, threads: 1 });
    const two = await miniBatchKMeans(named, { k: 2, seed: 3, threads: 1 });
    await one.partialFit(named, { threads: 1 });
    await two.partialFit(swapped, { threads: 1 });
    expect(two.centroids).toEqual(one.centroids);
  });

  it('a forest assigns swapped named columns as the same rows', async () => {
    const labels = Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1));
    const forest = await randomForest(named, labels, { nTrees: 5, seed: 1, threads: 1 });
    const want = Array.from(await forest.predict(named, { threads: 1 }));
    expect(want).toEqual(Array.from(labels));
    expect(Array.from(await forest.predict(swapped, { threads: 1 }))).toEqual(want);
  });

  it('an Arrow table that names two columns alike is refused, never read by one of them', async () => {
    // a, b, a: the two "a" columns hold different values
    const cols = [a, b, Float32Array.from(a, (v) => -v)];
    const fields = ['a', 'b', 'a'].map((name) => new Field(name, new Float32()));
    const type = new Struct(fields);
    const data = makeData({ type, length: n, nullCount: 0, children: cols.map((c) => makeData({ type: new Float32(), length: n, data: c })) });
    const twice = new Table(new Schema(fields), new RecordBatch(new Schema(fields), data));
    const model = await kmeans(named, { k: 2, seed: 1, threads: 1 });
    for (const run of [
      () => model.predict(twice, { threads: 1 }),
      () => kmeans(twice, { k: 2, seed: 1, threads: 1 }),
      () => pipeline({ scale: false, impute: false }).fit(twice),
    ]) {
      const e = await failure(run);
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toMatch(/^column name "a" appears twice in the table \(columns 1 and 3\)/);
    }
  });
});
