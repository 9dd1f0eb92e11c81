// A fit from given centres runs its first Lloyd pass with the load's centring, shard by shard: the model must be the
// one the same start gives on rows loaded and centred first (fitKMeans on a plain load), bit for bit, on every
// executor, weighted or not, with scaled rows, and with a start the fused pass cannot take.
import { describe, expect, it } from 'vitest';
import { kmeans, fromColumns, createRandom, SegkitError } from '../src/index.node.js';
import { fitKMeans } from '../src/core/kmeans.js';
import { checkWeights, loadMatrix } from '../src/engine/matrix.js';
import { toDataset } from '../src/data/dataset.js';
import { bytes, everyExecutor } from './helpers.js';
import type { Executor } from '../src/engine/executor.js';

const executors = everyExecutor();

function data(n: number, d: number, seed: number, spread = 1) {
  const rng = createRandom(seed);
  const columns = Array.from({ length: d }, (_, j) => Float64Array.from({ length: n }, (_, i) => spread * ((i % 5) * 3 + j + rng.normal())));
  return fromColumns({ columns, names: Array.from({ length: d }, (_, j) => `f${j}`) });
}

const starts = (ds: ReturnType<typeof data>, k: number, spread = 1) => {
  const t = toDataset(ds);
  return Array.from({ length: k }, (_, c) => Array.from({ length: t.d }, (_, j) => t.columns[j][c * 7 + 1] + 0.25 * spread));
};

async function plain(ex: Executor, ds: ReturnType<typeof data>, options: Parameters<typeof kmeans>[1]) {
  const t = toDataset(ds);
  const m = await loadMatrix(ex, t, { weights: checkWeights(options.sampleWeight, t.n) });
  try {
    return await fitKMeans(m, t, { ...options, executor: ex });
  } finally {
    await m.release();
  }
}

const same = (a: Awaited<ReturnType<typeof kmeans>>, b: Awaited<ReturnType<typeof kmeans>>) => {
  expect(bytes(Int32Array.from(a.labels))).toEqual(bytes(Int32Array.from(b.labels)));
  expect(bytes(Float64Array.from(a.centroids.flat()))).toEqual(bytes(Float64Array.from(b.centroids.flat())));
  expect(a.inertia).toBe(b.inertia);
  expect(a.iterations).toBe(b.iterations);
  expect(a.converged).toBe(b.converged);
};

describe('a fit from given centres', () => {
  it.each(executors)('equals the same start on a plain load (%s), weighted and not', async (_name, ex) => {
    const ds = data(20_011, 6, 3);
    const init = starts(ds, 5);
    const weights = Float64Array.from({ length: 20_011 }, (_, i) => 0.5 + (i % 3));
    for (const sampleWeight of [undefined, weights]) {
      for (const maxIter of [1, 2, 50]) {
        // every pass's inertia, shift and changed labels, the first pass's among them
        const steps: [unknown[], unknown[]] = [[], []];
        const fused = await kmeans(ds, { k: 5, init, tol: 0, maxIter, executor: ex, sampleWeight, onProgress: (p) => steps[0].push(p) });
        const twin = await plain(ex, ds, { k: 5, init, tol: 0, maxIter, sampleWeight, onProgress: (p) => steps[1].push(p) });
        same(fused, twin);
        expect(steps[0]).toEqual(steps[1]);
        expect(fused.iterations).toBeLessThanOrEqual(maxIter);
        if (maxIter === 50) expect(fused.iterations).toBeGreaterThan(2);
      }
    }
  });

  it('runs its first pass with the centring: one centring and assignment pass in place of a centring pass and an assignment pass', async () => {
    const [, ex] = executors[2];
    const ds = data(20_011, 6, 3);
    const init = starts(ds, 5);
    // the passes each fit asks of the executor, by op name
    const spy = (names: string[]): Executor => new Proxy(ex, {
      get(target, key) {
        const v = Reflect.get(target, key);
        if (key === 'map') return (op: { name: string }, ...rest: unknown[]) => { names.push(op.name); return (v as (...a: unknown[]) => unknown).call(target, op, ...rest); };
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const fused: string[] = [], twin: string[] = [];
    same(await kmeans(ds, { k: 5, init, tol: 0, maxIter: 50, executor: spy(fused) }), await plain(spy(twin), ds, { k: 5, init, tol: 0, maxIter: 50 }));
    const count = (names: string[], name: string) => names.filter((n) => n === name).length;
    expect([count(fused, 'kmeans.centreAssign'), count(fused, 'matrix.centre')]).toEqual([1, 0]);
    expect([count(twin, 'kmeans.centreAssign'), count(twin, 'matrix.centre')]).toEqual([0, 1]);
    expect(count(fused, 'kmeans.assign')).toBe(count(twin, 'kmeans.assign') - 1);
  });

  it('equals it where the rows are scaled (values whose squared distances leave float32)', async () => {
    const [, ex] = executors[2];
    const ds = data(4_000, 3, 5, 1e18);
    const init = starts(ds, 3, 1e18);
    const fused = await kmeans(ds, { k: 3, init, tol: 0, maxIter: 30, executor: ex });
    same(fused, await plain(ex, ds, { k: 3, init, tol: 0, maxIter: 30 }));
    expect(fused.inertia).toBeGreaterThan(1e36);
  });

  it('still refuses a start too far from the rows, naming its row', async () => {
    const [, ex] = executors[2];
    const ds = data(1_000, 2, 7);
    const init = [[0, 0], [1e30, 0]];
    const error = await kmeans(ds, { k: 2, init, executor: ex }).catch((e) => e);
    expect(error).toBeInstanceOf(SegkitError);
    expect(error.code).toBe('E_BAD_OPTION');
    expect(error.message).toMatch(/^option "init" row 1 lies 1\.00e\+30 from the column means/);
  });
});
