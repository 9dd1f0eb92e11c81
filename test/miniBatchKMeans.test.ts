import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  close, createRandom, fromColumns, inlineExecutor, kmeans, loadModel, miniBatchKMeans, MiniBatchKMeansModel, piscinaExecutor, type Dataset,
} from '../src/index.node.js';
import { bytes, expectError, failure, holed } from './helpers.js';
import { fitMiniBatchKMeans } from '../src/core/miniBatchKMeans.js';
import { loadMatrix } from '../src/engine/matrix.js';
import type { Executor } from '../src/engine/executor.js';
import type { HeapHandle } from '../src/engine/heapExecutor.js';
import { GATHER_ROWS } from '../src/kernels/rowMajor.js';
import { SegkitError } from '../src/util/errors.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});

interface MiniBatchFixture {
  X: number[][];
  init: number[][];
  fit: { cluster_centers: number[][]; inertia: number; n_steps: number; counts: number[] };
  partial_fit: { steps: { rows: [number, number]; cluster_centers: number[][]; counts: number[]; batch_labels_after: number[]; batch_inertia_after: number }[] };
  kmeans_same_init: { inertia: number };
}
const fx: MiniBatchFixture = JSON.parse(readFileSync(new URL('./fixtures/minibatch-blobs.json', import.meta.url), 'utf8'));

function blobs(n: number, d: number, k: number, seed: number, spread = 1, shift = 0): Dataset {
  const rng = createRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() * 6));
  return fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, (_, i) => centres[i % k][j] + shift + spread * rng.normal())) });
}
const slice = (ds: Dataset, from: number, to: number): Dataset => fromColumns({ columns: ds.columns.map((c) => c.slice(from, to)), names: ds.names });

describe('the batch draws', () => {
  it('Random.ints gives the values of int() called in a row, and the stream goes on where they stopped', () => {
    for (const [seed, n, len] of [[0, 1, 5], [1, 7, 1_000], [42, 1_000_000, 4_099], [-3, 2 ** 31, 257]] as const) {
      const a = createRandom(seed), b = createRandom(seed);
      const got = a.ints(n, new Int32Array(len));
      const want = Int32Array.from({ length: len }, () => b.int(n));
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(got.every((v) => v >= 0 && v < n)).toBe(true);
      expect([a.next(), a.int(n), a.normal()]).toEqual([b.next(), b.int(n), b.normal()]);
    }
  });
});

describe('scikit-learn MiniBatchKMeans', () => {
  it('partial_fit: the same labels and counts after every batch, the centres within 1e-6', async () => {
    let model: MiniBatchKMeansModel | undefined;
    for (const [b, step] of fx.partial_fit.steps.entries()) {
      const rows = fx.X.slice(step.rows[0], step.rows[1]);
      // the first call initialises from the given centres, as scikit-learn's first partial_fit
      if (b === 0) model = await miniBatchKMeans(rows, { k: 4, init: fx.init, partial: true, batchSize: 256, executor: ex });
      else await model!.partialFit(rows, { executor: ex });
      expect(Array.from(model!.counts)).toEqual(step.counts);
      expect(Array.from(model!.labels)).toEqual(step.batch_labels_after);
      expect(model!.centroids.map((row) => row.length)).toEqual(step.cluster_centers.map((row: number[]) => row.length));
      model!.centroids.forEach((row, t) => row.forEach((v, j) => expect(Math.abs(v - step.cluster_centers[t][j])).toBeLessThan(1e-6)));
      expect(Math.abs(model!.inertia - step.batch_inertia_after) / step.batch_inertia_after).toBeLessThan(1e-6);
    }
    expect(model!.nSteps).toBe(fx.partial_fit.steps.length);
  });

  it('fit: its own seeded batches reach scikit-learn\'s inertia within 1%, and full k-means\' within 1%', async () => {
    const m = await miniBatchKMeans(fx.X, { k: 4, init: fx.init, batchSize: 256, maxIter: 100, seed: 0, executor: ex });
    expect(Math.abs(m.inertia - fx.fit.inertia) / fx.fit.inertia).toBeLessThan(0.01);
    expect(Math.abs(m.inertia - fx.kmeans_same_init.inertia) / fx.kmeans_same_init.inertia).toBeLessThan(0.01);
    // stopped by the smoothed-inertia rule, about when scikit-learn did (it drew other batches)
    expect(m.converged).toBe(true);
    expect(Math.abs(m.nSteps - fx.fit.n_steps)).toBeLessThanOrEqual(5);
    expect(m.centroids.map((row) => row.length)).toEqual(fx.fit.cluster_centers.map((row: number[]) => row.length));
    m.centroids.forEach((row, t) => {
      const dist = Math.hypot(...row.map((v, j) => v - fx.fit.cluster_centers[t][j]));
      expect(dist).toBeLessThan(0.3);
    });
    expect(Array.from(m.counts).reduce((a, b) => a + b, 0)).toBe(m.nSteps * 256);
  });
});

describe('partialFit', () => {
  const ds = blobs(20 * 300, 3, 5, 7);
  const batches = Array.from({ length: 20 }, (_, b) => slice(ds, b * 300, (b + 1) * 300));

  it('a first partial fit from a random start draws one start, as scikit-learn\'s first partial_fit', async () => {
    const auto = await miniBatchKMeans(ds, { k: 5, init: 'random', partial: true, batchSize: 300, seed: 5, executor: ex });
    const one = await miniBatchKMeans(ds, { k: 5, init: 'random', partial: true, batchSize: 300, seed: 5, nInit: 1, executor: ex });
    expect(bytes(auto.centroidData).equals(bytes(one.centroidData))).toBe(true);
    expect(bytes(auto.counts).equals(bytes(one.counts))).toBe(true);
    // a fit (not partial) still tries three random starts
    const fit = await miniBatchKMeans(ds, { k: 5, init: 'random', batchSize: 300, seed: 5, executor: ex });
    const fitOne = await miniBatchKMeans(ds, { k: 5, init: 'random', batchSize: 300, seed: 5, nInit: 1, executor: ex });
    expect(bytes(fit.centroidData).equals(bytes(fitOne.centroidData))).toBe(false);
  });

  it('a first partial fit without reassignment leaves a centre no row is nearest without rows, as scikit-learn\'s partial_fit', async () => {
    const f = JSON.parse(readFileSync(new URL('./fixtures/minibatch-partial-empty.json', import.meta.url), 'utf8')) as {
      X: number[][]; init: number[][]; cluster_centers: number[][]; counts: number[]; labels: number[]; inertia: number;
    };
    const m = await miniBatchKMeans(f.X, { k: 3, init: f.init, partial: true, reassignmentRatio: 0, executor: ex });
    expect(Array.from(m.counts)).toEqual(f.counts);
    expect(Array.from(m.labels)).toEqual(f.labels);
    m.centroids.flat().forEach((v, q) => expect(Math.abs(v - f.cluster_centers.flat()[q])).toBeLessThan(1e-6));
    expect(Math.abs(m.inertia - f.inertia)).toBeLessThan(1e-5 * f.inertia);
    // a fit (not partial) gives the far centre the row farthest from its centre
    const fit = await miniBatchKMeans(f.X, { k: 3, init: f.init, reassignmentRatio: 0, executor: ex });
    expect(new Set(fit.labels).size).toBe(3);
  });

  it('20 batches one call at a time equal the same rows in one call (one step per batchSize rows)', async () => {
    const startRows = blobs(2_000, 3, 5, 8);
    const a = await miniBatchKMeans(startRows, { k: 5, batchSize: 300, seed: 3, executor: ex, reassignmentRatio: 0.2 });
    const b = loadModel(a.toJSON()) as MiniBatchKMeansModel;
    for (const batch of batches) await a.partialFit(batch, { executor: ex });
    await b.partialFit(ds, { executor: ex });
    expect(bytes(b.centroidData).equals(bytes(a.centroidData))).toBe(true);
    expect(bytes(b.counts).equals(bytes(a.counts))).toBe(true);
    expect(b.nSteps).toBe(a.nSteps);
    // the fit's rows stay what its summaries describe; every learned row is counted
    expect(a.nSamples).toBe(2_000);
    expect(a.rowsSeen).toBe(2_000 + ds.n);
    expect(b.rowsSeen).toBe(a.rowsSeen);
  });

  it('a saved and reloaded model continues exactly as the live one, with forgetting and reassignments', async () => {
    const live = await miniBatchKMeans(ds, { k: 6, batchSize: 100, seed: 11, executor: ex });
    const saved = JSON.stringify(live.toJSON());
    const back = loadModel(saved) as MiniBatchKMeansModel;
    const drift = blobs(3_000, 3, 2, 12, 1, 5);
    for (let b = 0; b < 10; b++) {
      const batch = slice(drift, b * 300, (b + 1) * 300);
      await live.partialFit(batch, { executor: ex, halfLife: 3 });
      await back.partialFit(batch, { executor: ex, halfLife: 3 });
    }
    expect(bytes(back.centroidData).equals(bytes(live.centroidData))).toBe(true);
    expect(bytes(back.counts).equals(bytes(live.counts))).toBe(true);
    expect(JSON.stringify(back.toJSON())).toBe(JSON.stringify({ ...live.toJSON() }));
  });

  it('a small centre is reassigned to a row drawn by sample weight: never to a row of weight 0 (as scikit-learn draws)', async () => {
    // counts of 1,000, 1,000 and 1: the third is below 0.01 of the largest, and 40 rows a batch (>= 10 k) reassign it
    const model = { kind: 'minibatch-kmeans', version: 1, k: 3, featureNames: ['a', 'b'], centres: [[0, 0], [10, 0], [5, 5]], counts: [1000, 1000, 1], offset: [0, 0], batchSize: 40, reassignmentRatio: 0.01, nSteps: 0, nSinceLastReassign: 0, inertia: 0, iterations: 1, converged: false, nSamples: 3, rowsSeen: 3 };
    const rows: number[][] = [], w: number[] = [];
    for (let i = 0; i < 20; i++) { rows.push([i % 2 ? 10 + i / 8 : i / 8, 0.5]); w.push(1); }
    // rows of weight 0 count for nothing: before, half the seeds put the third centre on one of them
    for (let i = 0; i < 20; i++) { rows.push([100 + i, 100]); w.push(0); }
    for (let seed = 0; seed < 20; seed++) {
      const m = loadModel({ ...model, seed }) as MiniBatchKMeansModel;
      await m.partialFit(rows, { sampleWeight: w, executor: ex });
      const third = m.centroids[2];
      expect(rows.some((r, i) => w[i] === 1 && r[0] === third[0] && r[1] === third[1]), `seed ${seed}: ${third}`).toBe(true);
      // it takes the smallest count of the others, 1,000 + the weight of the rows nearest each
      expect(m.counts[2]).toBe(1010);
    }
  });

  it('halfLife forgets: counts decay by half every halfLife batches, so centres follow shifted behaviour', async () => {
    const old = blobs(4_000, 2, 3, 21);
    const moved = blobs(6_000, 2, 3, 21, 1, 8);
    const exact = await miniBatchKMeans(old, { k: 3, batchSize: 200, seed: 2, executor: ex, reassignmentRatio: 0 });
    const before = Array.from(exact.counts);
    const first = slice(moved, 0, 200);
    const gained = await exact.predict(first, { executor: ex });
    await exact.partialFit(first, { executor: ex, halfLife: 1 });
    // one batch with halfLife 1: every count halves, then grows by the rows the batch gave it
    expect(before).toHaveLength(3);
    expect(exact.counts).toHaveLength(3);
    before.forEach((c, t) => expect(exact.counts[t]).toBeCloseTo(c / 2 + gained.filter((l) => l === t).length, 9));
    // with forgetting, a centre that stops receiving rows loses weight until it is re-seeded among the new rows
    const keep = await miniBatchKMeans(old, { k: 3, batchSize: 200, seed: 2, executor: ex });
    const forget = loadModel(keep.toJSON()) as MiniBatchKMeansModel;
    for (let b = 0; b < 30; b++) {
      const batch = slice(moved, b * 200, (b + 1) * 200);
      await keep.partialFit(batch, { executor: ex });
      await forget.partialFit(batch, { executor: ex, halfLife: 2 });
    }
    const target = await kmeans(moved, { k: 3, seed: 1, executor: ex });
    const gap = (m: MiniBatchKMeansModel) => m.centroids.reduce((s, row) => s + Math.min(...target.centroids.map((c) => Math.hypot(...row.map((v, j) => v - c[j])))), 0);
    expect(gap(forget)).toBeLessThan(gap(keep) / 3);
    expect(gap(forget)).toBeLessThan(1);
  });

  it('halfLife in rows: one batch of r rows decays counts by 0.5^(r / halfLife)', async () => {
    const m = await miniBatchKMeans(ds, { k: 5, batchSize: 400, seed: 1, executor: ex, reassignmentRatio: 0 });
    const c0 = Array.from(m.counts);
    const batch = slice(ds, 0, 50);
    const labels = await m.predict(batch, { executor: ex });
    await m.partialFit(batch, { executor: ex, halfLife: 100, halfLifeUnit: 'rows' });
    expect(c0).toHaveLength(5);
    expect(m.counts).toHaveLength(5);
    c0.forEach((c, t) => expect(m.counts[t]).toBeCloseTo(c * 0.5 ** 0.5 + labels.filter((l) => l === t).length, 9));
  });
});

describe('chunks gathered ahead', () => {
  // 300,000 rows at batch 1,024: more steps than one chunk gathered ahead holds, so a 2-thread pool draws and gathers
  // the next chunk while the steps of this one run; one thread takes every step from one chunk
  const big = blobs(300_000, 3, 5, 21, 2);
  it('give the same fit as one chunk, bit for bit, whether the fit runs every step or stops early', async () => {
    const pool = piscinaExecutor({ threads: 2 });
    try {
      for (const options of [
        { k: 5, seed: 1, batchSize: 1_024, maxIter: 2, maxNoImprovement: null },
        { k: 5, seed: 2, batchSize: 1_024, maxIter: 3, maxNoImprovement: 3 },
      ]) {
        const one = await miniBatchKMeans(big, { ...options, executor: ex });
        const ahead = await miniBatchKMeans(big, { ...options, executor: pool });
        expect(ahead.nSteps).toBe(one.nSteps);
        expect(bytes(Float64Array.from(ahead.centroids.flat())).equals(bytes(Float64Array.from(one.centroids.flat())))).toBe(true);
        expect(bytes(ahead.counts).equals(bytes(one.counts))).toBe(true);
        expect(bytes(ahead.labels).equals(bytes(one.labels))).toBe(true);
        expect(ahead.inertia).toBe(one.inertia);
      }
      // the early stop leaves a chunk gathered ahead unused: it is let go (an abort then leaves the pool usable)
      const stopped = await miniBatchKMeans(big, { k: 5, seed: 2, batchSize: 1_024, maxIter: 3, maxNoImprovement: 3, executor: pool });
      expect(stopped.nSteps).toBeLessThan(Math.floor((3 * 300_000) / 1_024));
      const aborted = new AbortController();
      const run = miniBatchKMeans(big, { k: 5, seed: 3, batchSize: 1_024, maxIter: 3, maxNoImprovement: null, executor: pool, signal: aborted.signal, onProgress: () => aborted.abort() });
      expect((await failure(() => run)).code).toBe('E_ABORTED');
      const after = await miniBatchKMeans(big, { k: 5, seed: 1, batchSize: 1_024, maxIter: 2, maxNoImprovement: null, executor: pool });
      expect(after.inertia).toBe((await miniBatchKMeans(big, { k: 5, seed: 1, batchSize: 1_024, maxIter: 2, maxNoImprovement: null, executor: ex })).inertia);
    } finally {
      await pool.close();
    }
  });
});

describe('the row-major copy the steps gather from', () => {
  // an executor whose op of that name first calls `before` (given the executor itself)
  const onOp = (target: Executor, name: string, before: (ex: Executor) => Promise<void> | void): Executor => new Proxy(target, {
    get: (t, key, receiver) => (key === 'map'
      ? async (op: { name: string }, ...rest: unknown[]) => {
        if (op.name !== name) return (t.map as (...a: unknown[]) => unknown).call(receiver, op, ...rest);
        const run = (t.map as (...a: unknown[]) => Promise<unknown>).call(receiver, op, ...rest);
        // a pass given up on is waited for, never left to reject unheard
        await Promise.resolve(before(t)).catch(async (e) => { await run.catch(() => undefined); throw e; });
        return run;
      }
      : Reflect.get(t, key, receiver)),
  });

  it('a failure that closes the executor during the steps (a Web Worker pool closes itself when a worker fails) is the error the fit reports', async () => {
    const own = inlineExecutor();
    const failing = onOp(own, 'miniBatch.steps', async (t) => {
      await t.close();
      throw new SegkitError('E_WORKER', 'a worker failed: out of memory');
    });
    const e = await failure(() => miniBatchKMeans(blobs(3_000, 3, 4, 9), { k: 4, seed: 1, batchSize: 256, executor: failing }));
    expect([e.code, e.message]).toEqual(['E_WORKER', 'a worker failed: out of memory']);
  });

  it('is let go when the fit is cancelled as the copy is made', async () => {
    const ds = blobs(3_000, 3, 4, 9);
    const aborted = new AbortController();
    const m = await loadMatrix(onOp(ex, 'miniBatch.rowMajor', () => aborted.abort()), ds);
    try {
      expect((await failure(() => fitMiniBatchKMeans(m, ds, { k: 4, seed: 1, batchSize: 256, signal: aborted.signal }))).code).toBe('E_ABORTED');
      expect((m.handle as HeapHandle).buffers.has(GATHER_ROWS)).toBe(false);
      // the same load fits as a fresh one
      const again = await fitMiniBatchKMeans(m, ds, { k: 4, seed: 1, batchSize: 256 });
      expect(bytes(again.labels).equals(bytes((await miniBatchKMeans(ds, { k: 4, seed: 1, batchSize: 256, executor: ex })).labels))).toBe(true);
    } finally {
      await m.release();
    }
  });
});

describe('always k distinct, non-empty centres', () => {
  it('on heavily duplicated data (where scikit-learn can return fewer clusters), for every seed and start', async () => {
    const rng = createRandom(5);
    const values = Array.from({ length: 12 }, () => [rng.normal() * 3, rng.normal() * 3]);
    const rows = Array.from({ length: 3_000 }, (_, i) => values[i % 97 === 0 ? i % 12 : i % 3]);
    for (const init of ['k-means++', 'random', 'k-means||'] as const) {
      for (const seed of [0, 1, 2, 3]) {
        const m = await miniBatchKMeans(rows, { k: 10, init, seed, batchSize: 64, executor: ex });
        expect(new Set(m.labels).size).toBe(10);
        expect(new Set(m.centroids.map((r) => r.map(Math.fround).join(','))).size).toBe(10);
      }
    }
  });

  it('too few distinct points is an error naming k', async () => {
    const e = await failure(() => miniBatchKMeans([[1, 1], [1, 1], [2, 2]], { k: 3, executor: ex }));
    expect(e.code).toBe('E_TOO_FEW_DISTINCT');
    expect(e.message).toContain('"k" is 3');
  });

  it('distinct points float32 centring cannot tell apart are an error, not clusters left empty', async () => {
    // five distinct values; less the column mean (7.8e5) the four small ones are too close for float32 distances, where
    // the fit returned clusters no row was labelled with
    const rows = [[0], [10], [20], [30], ...Array.from({ length: 14 }, () => [1e6])];
    for (const init of ['k-means++', 'random', 'k-means||'] as const) {
      const e = await failure(() => miniBatchKMeans(rows, { k: 5, init, seed: 0, executor: ex }));
      expect(e.code, init).toBe('E_TOO_FEW_DISTINCT');
      expect(e.message, init).toMatch(/^the fit ended with centre \d holding no rows once centred \(column means 7\.778e\+5\)/);
      expect(e.hint, init).toMatch(/log-transform or rescale/);
    }
    // the same values log-transformed give five non-empty clusters of one value each
    const logged = rows.map(([v]) => [Math.log1p(v)]);
    for (const fit of [miniBatchKMeans, kmeans]) {
      const m = await fit(logged, { k: 5, seed: 0, executor: ex });
      expect(new Set(m.labels).size).toBe(5);
      expect(m.inertia).toBeLessThan(1e-20);
    }
  });
});

describe('k-means||', () => {
  const ds = blobs(40_000, 8, 12, 3, 1.5);
  it('kmeans: inertia within 1% of k-means++, from a seeded start the same every time', async () => {
    const pp = await kmeans(ds, { k: 12, seed: 4, executor: ex });
    const par = await kmeans(ds, { k: 12, seed: 4, init: 'k-means||', executor: ex });
    const again = await kmeans(ds, { k: 12, seed: 4, init: 'k-means||', executor: ex });
    expect(par.inertia).toBeLessThan(pp.inertia * 1.01);
    expect(bytes(again.centroidData).equals(bytes(par.centroidData))).toBe(true);
    const other = await kmeans(ds, { k: 12, seed: 5, init: 'k-means||', executor: ex, maxIter: 1 });
    expect(bytes(other.centroidData).equals(bytes(par.centroidData))).toBe(false);
  });

  it('miniBatchKMeans: within 1% of full k-means', async () => {
    const full = await kmeans(ds, { k: 12, seed: 4, executor: ex });
    const mb = await miniBatchKMeans(ds, { k: 12, seed: 4, init: 'k-means||', executor: ex });
    expect(mb.inertia).toBeLessThan(full.inertia * 1.01);
  });

  it('a round that draws every row left ends the rounds: a pass of its own counts the rows each candidate owns', async () => {
    // three rows a unit apart: the first round draws both rows the first centre leaves, and nothing is left to draw
    const tri = fromColumns({ columns: [Float32Array.of(0, 1, 0.5), Float32Array.of(0, 0, Math.sqrt(3) / 2)] });
    let ops: string[] = [];
    const spy = new Proxy(ex, {
      get: (target, key, receiver) => (key === 'map'
        ? (op: { name: string }, ...rest: unknown[]) => { ops.push(op.name); return (target.map as (...a: unknown[]) => unknown).call(receiver, op, ...rest); }
        : Reflect.get(target, key, receiver)),
    });
    const m = await kmeans(tri, { k: 2, init: 'k-means||', seed: 2, executor: spy });
    const at = ops.indexOf('kmeansParallel.first');
    expect(ops.slice(at, at + 3)).toEqual(['kmeansParallel.first', 'kmeansParallel.update', 'kmeansParallel.counts']);
    expect(new Set(m.labels).size).toBe(2);
    expect(m.inertia).toBeCloseTo(0.5, 6);
    // both rounds run on data with rows left to draw: the last round's pass counts, with no pass of its own
    ops = [];
    await kmeans(ds, { k: 12, seed: 4, init: 'k-means||', executor: spy, maxIter: 1 });
    expect(ops.filter((name) => name.startsWith('kmeansParallel.'))).toEqual(['kmeansParallel.first', 'kmeansParallel.update', 'kmeansParallel.update']);
  });

  it('with sample weights: a weight of 3 counts as three copies', async () => {
    const small = blobs(3_000, 2, 4, 9);
    const w = Float32Array.from({ length: small.n }, (_, i) => 1 + (i % 3));
    const m = await kmeans(small, { k: 4, init: 'k-means||', seed: 1, sampleWeight: w, executor: ex });
    expect(new Set(m.labels).size).toBe(4);
  });
});

describe('an explicit start too far from the data for float32 distances', () => {
  it('is refused, naming the row, as k-means refuses it; the same start on data the load scales down is not', async () => {
    // two groups of 20 rows near 0 and 6: every row measured all three centres at Infinity and went to centre 0 by a
    // tie, not to the nearest (centre 2, as from [[3e17], [2e17], [1e17]]), fit and first partial fit alike
    const X = Array.from({ length: 40 }, (_, i) => [(i % 2) * 6 + (i % 5) * 0.1]);
    for (const partial of [false, true]) {
      for (const init of [[[3e20], [2e20], [1e20]], [[0], [6], [-2e19]]]) {
        const e = await failure(() => miniBatchKMeans(X, { k: 3, init, partial, maxIter: 1, batchSize: 40, executor: ex }));
        expect(e.code).toBe('E_BAD_OPTION');
        expect(e.message).toMatch(new RegExp(`^option "init" row ${init[0][0] === 0 ? 2 : 0} lies .* from the column means`));
      }
    }
    const near = await miniBatchKMeans(X, { k: 3, init: [[3e17], [2e17], [1e17]], maxIter: 1, batchSize: 40, reassignmentRatio: 0, executor: ex });
    expect(near.centroids[2][0]).toBeCloseTo(3.0525, 4);
    // the same far start on huge data the load scales down is within reach
    const huge = await miniBatchKMeans(X.map(([v]) => [v * 1e20]), { k: 3, init: [[3e20], [2e20], [1e20]], maxIter: 1, batchSize: 40, executor: ex });
    expect(huge.k).toBe(3);
  });
});

describe('models and bad input', () => {
  const ds = blobs(5_000, 3, 4, 13);
  it('predict and transform agree with the centroids; a file with repeated centroids or negative counts is refused', async () => {
    const m = await miniBatchKMeans(ds, { k: 4, seed: 1, executor: ex });
    const labels = await m.predict(ds, { executor: ex });
    expect(bytes(labels).equals(bytes(m.labels))).toBe(true);
    const dist = await m.transform(ds, { executor: ex, squared: true });
    for (let i = 0; i < ds.n; i += 101) {
      const row = dist.subarray(i * 4, i * 4 + 4);
      expect(row.indexOf(Math.min(...row))).toBe(labels[i]);
    }
    // null options were a TypeError; squared: 'no' gave squared distances
    expect((await failure(() => m.transform(ds, null as never))).message).toContain('transform: options must be an object, got null');
    expect((await failure(() => m.transform(ds, { executor: ex, squared: 'no' as never }))).message).toContain('option "squared" must be true or false');
    const km = await kmeans(ds, { k: 4, seed: 1, executor: ex });
    expect((await failure(() => km.transform(ds, { executor: ex, squared: 'no' as never }))).message).toContain('option "squared" must be true or false');
    const json = m.toJSON();
    expectError(() => loadModel({ ...json, centres: [json.centres[0], json.centres[0], json.centres[2], json.centres[3]] }), 'E_BAD_MODEL', 'centres[1]', 'distinct');
    expectError(() => loadModel({ ...json, counts: [1, -1, 1, 1] }), 'E_BAD_MODEL', 'counts[1]');
    // a count no fit can reach, whose product with a centre overflows in the update
    expectError(() => loadModel({ ...json, counts: [1, 1, 1e308, 1] }), 'E_BAD_MODEL', 'counts[2]', 'at most');
    expect(loadModel({ ...json, counts: [1, 1, 3e54, 1] }).kind).toBe('minibatch-kmeans');
    expectError(() => loadModel({ ...json, nSteps: 1.5 }), 'E_BAD_MODEL', 'nSteps');
    // each field within float32, their sum (the centroid) beyond it
    const far = { ...json, offset: [3e38, 0, 0], centres: [[3e38, 0, 0], ...json.centres.slice(1).map((c) => [-3e38 + 1e37, c[1], c[2]])] };
    expectError(() => loadModel(far), 'E_BAD_MODEL', 'centres[0][0]', 'beyond float32');
    expect(loadModel({ ...far, centres: json.centres }).kind).toBe('minibatch-kmeans');
    expect((await failure(() => m.partialFit([[1, 2]], { executor: ex }))).code).toBe('E_SHAPE_MISMATCH');
    expect((await failure(() => m.partialFit(ds, { executor: ex, halfLife: -1 }))).message).toContain('halfLife');
    expect((await failure(() => m.partialFit(ds, { executor: ex, halfLifeUnit: 'days' as never, halfLife: 2 }))).message).toContain('halfLifeUnit');
    expect((await failure(() => miniBatchKMeans(ds, { k: 9_000, executor: ex }))).code).toBe('E_TOO_FEW_DISTINCT');
    expect((await failure(() => miniBatchKMeans(ds, { k: 2, batchsize: 10 } as never))).message).toContain('batchSize');
    // a unit without a half-life would change nothing: named, as any bad unit is
    expect((await failure(() => m.partialFit(ds, { executor: ex, halfLifeUnit: 'rows' }))).message).toContain('halfLifeUnit');
    expect((await failure(() => miniBatchKMeans(ds, { k: 4, halfLifeUnit: 'days' as never, executor: ex }))).message).toContain('halfLifeUnit');
    // counters past 2^53 could never advance (each step's reassignment draws would repeat)
    expectError(() => loadModel({ ...json, nSteps: 1e300 }), 'E_BAD_MODEL', 'nSteps', '2^53');
    expectError(() => loadModel({ ...json, rowsSeen: 2 ** 60 }), 'E_BAD_MODEL', 'rowsSeen', '2^53');
  });

  it('a batch that would drag a centre beyond where scoring can hold it beside the others is refused; the model is unchanged', async () => {
    const m = await miniBatchKMeans(ds, { k: 4, seed: 1, batchSize: 100, executor: ex });
    const before = JSON.stringify(m.toJSON());
    const labels = await m.predict(ds, { executor: ex });
    // rows at 1e34 (finite in float32) would pull a centre about 1e32 away: the scale scoring would need leaves the
    // products that tell rows between the other centres apart at float32's smallest numbers, where they lose digits
    const far = Array.from({ length: 50 }, () => [1e34, -1e34, 1e34]);
    const e = await failure(() => m.partialFit(far, { executor: ex }));
    expect(e.code).toBe('E_PRECISION');
    expect(e.message).toMatch(/centroid \d lies [\d.]+e\+3\d from the column means while centroids \d and \d lie [\d.]+ apart/);
    expect(e.message).toContain('unchanged');
    expect(JSON.stringify(m.toJSON())).toBe(before);
    expect(bytes(await m.predict(ds, { executor: ex })).equals(bytes(labels))).toBe(true);
    // far rows a float32 scale still holds beside the others are learned from, and the other segments still score
    await m.partialFit(far.map((r) => r.map((v) => v / 1e12)), { executor: ex });
    const after = await m.predict(ds, { executor: ex });
    expect(new Set(after).size).toBe(3);
    // a row past what scoring holds beside the centres (its products with them leave float32) is refused as
    // predict refuses it, named by its row, though the batch's own scale could hold it
    const beyond = [...ds.columns[0].slice(0, 5)].map((v, i) => (i === 3 ? [-3e37, 1, 2] : [v, 1, 2]));
    const snapshot = JSON.stringify(m.toJSON());
    for (const call of [() => m.partialFit(beyond, { executor: ex }), () => m.predict(beyond, { executor: ex })]) {
      const f = await failure(call);
      expect(f.code).toBe('E_NAN_INPUT');
      expect(f.message).toMatch(/^row 3, column "[^"]+" holds -3\.0000\d*e\+37: the row lies too far from the model's centres/);
    }
    expect(JSON.stringify(m.toJSON())).toBe(snapshot);
    // a model file with such a centroid: refused when loaded, naming it
    const json = JSON.parse(before);
    expectError(() => loadModel({ ...json, centres: [json.centres[0], [1e34, -1e34, 1e34], json.centres[2], json.centres[3]] }), 'E_BAD_MODEL', 'centres[1]', 'float32');
    expect(loadModel({ ...json, centres: [json.centres[0], [1e15, -1e15, 1e15], json.centres[2], json.centres[3]] }).kind).toBe('minibatch-kmeans');
  });
});

describe('arrays with holes', () => {
  // [1, , 3]: forEach and map pass over the hole
  const ds = blobs(600, 2, 3, 17);

  it('in explicit centroids are E_BAD_OPTION naming the entry (the hole was read as 0 and the fit went on)', async () => {
    const init = [[1, 2], [3, 4], [5, 6]];
    for (const [bad, where] of [[[holed(init[0], 1), init[1], init[2]], 'row 0, column 1'], [holed(init, 2), 'row 2']] as const) {
      const e = await failure(() => miniBatchKMeans(ds, { k: 3, init: bad, executor: ex }));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain(`option "init" ${where}`);
    }
  });

  it('in a model given as an object are E_BAD_MODEL naming the entry (a hole in the counts gave NaN centres on the next partialFit)', async () => {
    const json = (await miniBatchKMeans(ds, { k: 3, seed: 1, executor: ex })).toJSON();
    expectError(() => loadModel({ ...json, counts: holed(json.counts, 1) }), 'E_BAD_MODEL', '"counts[1]" must be', 'got undefined');
    expectError(() => loadModel({ ...json, centres: [holed(json.centres[0], 1), ...json.centres.slice(1)] }), 'E_BAD_MODEL', '"centres[0][1]" must be', 'got undefined');
    expectError(() => loadModel({ ...json, featureNames: holed(json.featureNames, 1) }), 'E_BAD_MODEL', '"featureNames[1]" must be', 'got undefined');
    expectError(() => loadModel({ ...json, offset: holed(json.offset, 0) }), 'E_BAD_MODEL', '"offset[0]" must be', 'got undefined');
  });
});
