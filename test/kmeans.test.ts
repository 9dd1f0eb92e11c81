import { afterAll, describe, expect, it } from 'vitest';
import { kmeans, KMeansModel, close, SegkitError, fromColumns, createRandom, piscinaExecutor } from '../src/index.node.js';
import { FIXTURES, fixture, relErr, bytes } from './helpers.js';
import { assignTwin } from './twins/kernels.js';

afterAll(close);

describe.each(FIXTURES)('k-means reproduces scikit-learn on %s', (name) => {
  const fx = fixture(name);
  it.each([1, 2])('with %i thread(s): same labels, centroids and inertia within 1e-4', async (threads) => {
    const m = await kmeans(fx.X, { k: fx.k, init: fx.kmeans.init, tol: 0, maxIter: 300, threads });
    expect(Array.from(m.labels)).toEqual(fx.kmeans.labels);
    expect(m.iterations).toBe(fx.kmeans.n_iter);
    expect(m.converged).toBe(true);
    expect(relErr(m.inertia, fx.kmeans.inertia)).toBeLessThan(1e-4);
    expect(m.centroids.map((row) => row.length)).toEqual(fx.kmeans.centroids.map((row) => row.length));
    m.centroids.forEach((row, t) => row.forEach((v, j) => {
      expect(Math.abs(v - fx.kmeans.centroids[t][j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(fx.kmeans.centroids[t][j])));
    }));
    // predict on the training rows gives the training labels
    expect(Array.from(await m.predict(fx.X, { threads }))).toEqual(fx.kmeans.labels);
  });
});

function overlapping(n: number, d: number, seed: number) {
  const rng = createRandom(seed);
  const centers = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.normal() * 2));
  const columns = Array.from({ length: d }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    const c = centers[i % 6];
    for (let j = 0; j < d; j++) columns[j][i] = c[j] + rng.normal() * 1.5;
  }
  return fromColumns({ columns });
}

describe('determinism', () => {
  // more rows than one shard, overlapping clusters so many iterations and label changes happen
  const ds = overlapping(150_001, 5, 3);
  it('a seeded fit is bit-identical on 1, 2 and 4 threads and across runs', async () => {
    const fits = [];
    for (const threads of [1, 2, 4, 2]) fits.push(await kmeans(ds, { k: 7, seed: 42, nInit: 2, threads, maxIter: 60 }));
    const [a, ...rest] = fits;
    expect(a.iterations).toBeGreaterThan(3);
    for (const b of rest) {
      expect(bytes(b.labels).equals(bytes(a.labels))).toBe(true);
      expect(bytes(b.centroidData).equals(bytes(a.centroidData))).toBe(true);
      expect(b.inertia).toBe(a.inertia);
      expect(b.iterations).toBe(a.iterations);
    }
  });

  it('on a pool the labels land in the array a worker made during the load; the same fit as on one thread', async () => {
    // over a MiB of labels, so the pool makes the array (smaller ones are made where they are read)
    const big = overlapping(300_007, 4, 5);
    const ex = piscinaExecutor({ threads: 2 });
    try {
      const made: unknown[] = [];
      const fresh = ex.freshArray!.bind(ex);
      ex.freshArray = async (type, length) => {
        const a = await fresh(type, length);
        made.push(a);
        return a;
      };
      const a = await kmeans(big, { k: 6, seed: 3, maxIter: 40, executor: ex });
      const b = await kmeans(big, { k: 6, seed: 3, maxIter: 40, threads: 1 });
      expect(made).toHaveLength(1);
      expect(a.labels).toBe(made[0]);
      expect(bytes(a.labels).equals(bytes(b.labels))).toBe(true);
      expect(a.inertia).toBe(b.inertia);
      expect(bytes(a.centroidData).equals(bytes(b.centroidData))).toBe(true);
    } finally {
      await ex.close();
    }
  });

  it('different seeds give different starts', async () => {
    const a = await kmeans(ds, { k: 7, seed: 1, maxIter: 1, threads: 1 });
    const b = await kmeans(ds, { k: 7, seed: 2, maxIter: 1, threads: 1 });
    expect(bytes(a.centroidData).equals(bytes(b.centroidData))).toBe(false);
  });

  it('Hamerly bounds change nothing: the result equals plain Lloyd on the scalar twin', async () => {
    const small = overlapping(4_003, 3, 9);
    const m = await kmeans(small, { k: 5, seed: 7, tol: 0, maxIter: 500, threads: 1 });
    expect(m.converged).toBe(true);
    // one more plain Lloyd step from the returned centroids (in the model's centred space) must change nothing
    const cols = small.columns as Float32Array[];
    const mean = cols.map((c) => { let s = 0; for (const v of c) s += v; return Math.fround(s / c.length); });
    const centred = cols.map((c, j) => c.map((v) => Math.fround(v - mean[j])));
    const cent = Float32Array.from(m.centroidData, (v, q) => v - mean[q % 3]);
    const { labels } = assignTwin(centred, small.n, cent, 5);
    expect(Array.from(labels)).toEqual(Array.from(m.labels));
    // and the centroids are the means of their clusters
    expect(m.centroidData).toHaveLength(5 * 3);
    for (let t = 0; t < 5; t++) {
      for (let j = 0; j < 3; j++) {
        let s = 0, c = 0;
        for (let i = 0; i < small.n; i++) if (labels[i] === t) { s += cols[j][i]; c++; }
        expect(m.centroidData[t * 3 + j]).toBeCloseTo(s / c, 4);
      }
    }
  });
});

describe('k-means options', () => {
  const ds = overlapping(2_000, 4, 5);

  it('k = 1 gives the mean and the total sum of squares', async () => {
    const m = await kmeans(ds, { k: 1, threads: 1 });
    let inertia = 0;
    expect(m.centroidData).toHaveLength(4);
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (const v of ds.columns[j]) s += v;
      const mu = s / ds.n;
      expect(m.centroidData[j]).toBeCloseTo(mu, 5);
      for (const v of ds.columns[j]) inertia += (v - mu) ** 2;
    }
    expect(relErr(m.inertia, inertia)).toBeLessThan(1e-5);
    expect(new Set(m.labels).size).toBe(1);
  });

  it('k = n puts every row in its own cluster with zero inertia', async () => {
    const rows = [[0, 0], [1, 0], [0, 1], [5, 5], [2, 3]];
    for (const init of ['k-means++', 'random'] as const) {
      const m = await kmeans(rows, { k: 5, init, seed: 3, threads: 1 });
      expect(new Set(m.labels).size).toBe(5);
      expect(m.inertia).toBe(0);
    }
  });

  it('tol follows scikit-learn: a loose tolerance stops earlier than tol = 0', async () => {
    const strict = await kmeans(ds, { k: 6, seed: 4, tol: 0, threads: 1 });
    const loose = await kmeans(ds, { k: 6, seed: 4, tol: 1e-1, threads: 1 });
    expect(loose.iterations).toBeLessThan(strict.iterations);
    expect(loose.inertia).toBeGreaterThanOrEqual(strict.inertia * (1 - 1e-9));
  });

  it('nInit keeps the lowest inertia of the restarts', async () => {
    const single = await kmeans(ds, { k: 6, seed: 11, nInit: 1, threads: 1 });
    const multi = await kmeans(ds, { k: 6, seed: 11, nInit: 5, threads: 1 });
    // the first restart of the multi-start fit is the single fit, so the best of five is no worse
    expect(multi.inertia).toBeLessThanOrEqual(single.inertia);
  });

  it('integer sample weights equal repeating rows', async () => {
    const rows = [[0, 0], [0.2, 0.1], [4, 4], [4.2, 3.9], [9, 0], [9.5, 0.5]];
    const w = [3, 1, 2, 1, 1, 4];
    const repeated = rows.flatMap((r, i) => Array.from({ length: w[i] }, () => r));
    const init = [[0, 0], [4, 4], [9, 0]];
    const a = await kmeans(rows, { k: 3, init, sampleWeight: w, tol: 0, threads: 1 });
    const b = await kmeans(repeated, { k: 3, init, tol: 0, threads: 1 });
    expect(a.centroids.map((row) => row.length)).toEqual([2, 2, 2]);
    expect(b.centroids.map((row) => row.length)).toEqual([2, 2, 2]);
    a.centroids.forEach((row, t) => row.forEach((v, j) => expect(v).toBeCloseTo(b.centroids[t][j], 5)));
    expect(a.inertia).toBeCloseTo(b.inertia, 4);
  });

  it('empty clusters are re-seeded from the farthest points', async () => {
    // the third initial centre is far from every row, so its cluster starts empty
    const rows = [[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10], [30, 30]];
    const m = await kmeans(rows, { k: 3, init: [[0, 0], [10, 10], [1000, 1000]], tol: 0, threads: 1 });
    expect(new Set(m.labels).size).toBe(3);
    expect(m.labels[6]).not.toBe(m.labels[3]);
    expect(m.centroids.some((c) => Math.abs(c[0] - 30) < 1e-5 && Math.abs(c[1] - 30) < 1e-5)).toBe(true);
  });

  it('a cluster emptied by giving its only row to an empty one keeps a finite centre, as scikit-learn', async () => {
    // row 10 (11) is its cluster's only row and the farthest from its centre (20): the empty cluster 2 takes it, which
    // empties cluster 0. scikit-learn 1.2.1 (n_init=1, algorithm='lloyd', tol=0) leaves that centre at its remaining
    // sums (zero about the column means): max_iter=1 gives these centres; max_iter=2 relocates it again
    const rows = [...Array.from({ length: 10 }, (_, i) => [Math.fround(i * 0.01)]), [11]];
    const init = [[20], [0], [-100]];
    const progress: number[] = [];
    const one = await kmeans(rows, { k: 3, init, tol: 0, maxIter: 1, threads: 1 });
    [1.0409090908413583, 0.04499999992549408, 11].forEach((v, t) => expect(one.centroids[t][0]).toBeCloseTo(v, 6));
    expect(Array.from(one.labels)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    expect(one.inertia).toBeCloseTo(0.00825000024586918, 8);
    const two = await kmeans(rows, { k: 3, init, tol: 0, maxIter: 2, threads: 1, onProgress: (p) => progress.push(p.inertia, p.shift) });
    [0.09000000357627869, 0.03999999951985145, 11].forEach((v, t) => expect(two.centroids[t][0]).toBeCloseTo(v, 6));
    expect(Array.from(two.labels)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 2]);
    expect(progress.every(Number.isFinite)).toBe(true);
  });

  it('reports progress per iteration with inertia and centre shift', async () => {
    const seen: { iteration: number; inertia: number; shift: number }[] = [];
    const m = await kmeans(ds, { k: 4, seed: 2, threads: 1, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(m.iterations);
    expect(seen.map((p) => p.iteration)).toEqual(Array.from({ length: m.iterations }, (_, i) => i + 1));
    for (let i = 1; i < seen.length; i++) expect(seen[i].inertia).toBeLessThanOrEqual(seen[i - 1].inertia * (1 + 1e-9));
  });

  it('an abort signal cancels a fit promptly', async () => {
    const big = overlapping(200_000, 8, 1);
    const ac = new AbortController();
    const p = kmeans(big, { k: 8, seed: 1, tol: 0, maxIter: 300, threads: 2, signal: ac.signal, onProgress: (e) => { if (e.iteration === 2) ac.abort(); } });
    await expect(p).rejects.toMatchObject({ code: 'E_ABORTED' });
    // the pool still works afterwards
    const m = await kmeans(ds, { k: 3, seed: 1, threads: 2 });
    expect(m.labels.length).toBe(ds.n);
  });

  it('transform gives distances whose argmin is the label', async () => {
    const m = await kmeans(ds, { k: 4, seed: 2, threads: 2 });
    const dist = await m.transform(ds);
    expect(dist.length).toBe(ds.n * 4);
    for (let i = 0; i < ds.n; i += 37) {
      const row = Array.from(dist.subarray(i * 4, i * 4 + 4));
      const want = m.centroids.map((c) => Math.hypot(...c.map((v, j) => ds.columns[j][i] - v)));
      row.forEach((v, t) => expect(v).toBeCloseTo(want[t], 3));
      expect(row.indexOf(Math.min(...row))).toBe(m.labels[i]);
    }
  });
});

describe('model files', () => {
  it('toJSON / fromJSON round-trips and predicts the same labels', async () => {
    const fx = fixture('iris-k3');
    const m = await kmeans(fx.X, { k: 3, seed: 5, threads: 1 });
    const text = JSON.stringify(m);
    const back = KMeansModel.fromJSON(text);
    expect(back.centroids).toEqual(m.centroids);
    expect(back.featureNames).toEqual(m.featureNames);
    expect(Array.from(await back.predict(fx.X))).toEqual(Array.from(m.labels));
  });

  it.each([
    ['not JSON', '{"format": '],
    ['wrong format', { format: 'other' }],
    ['future version', (j: any) => ({ ...j, version: 99 })],
    ['centroid NaN', (j: any) => ({ ...j, centroids: [[null, 1, 1, 1], ...j.centroids.slice(1)] })],
    ['short centroid row', (j: any) => ({ ...j, centroids: [[1], ...j.centroids.slice(1)] })],
    ['k mismatch', (j: any) => ({ ...j, k: 5 })],
    ['polluted', (j: any) => JSON.parse(JSON.stringify(j).replace('{', '{"__proto__": {"polluted": true},'))],
    ['string inertia', (j: any) => ({ ...j, inertia: '12' })],
    ['unknown field', (j: any) => ({ ...j, labels: 'x' })],
    ['missing field', (j: any) => { const { offset, ...rest } = j; return rest; }],
    ['repeated feature name', (j: any) => ({ ...j, featureNames: ['a', 'b', 'a', 'c'] })],
  ])('a corrupt model (%s) is rejected with E_BAD_MODEL', async (_, make) => {
    const fx = fixture('iris-k3');
    const json = (await kmeans(fx.X, { k: 3, seed: 5, threads: 1 })).toJSON();
    const input = typeof make === 'function' ? make(json) : make;
    expect(() => KMeansModel.fromJSON(input)).toThrow(SegkitError);
    try { KMeansModel.fromJSON(input); } catch (e) { expect((e as SegkitError).code).toBe('E_BAD_MODEL'); }
    expect(({} as any).polluted).toBeUndefined();
  });
});

describe('a centroid far from the column means', () => {
  const nearest = (X: number[][], c: number[][]) => X.map((x) => {
    let best = 0, bd = Infinity;
    c.forEach((ct, t) => { const d = ct.reduce((s, v, j) => s + (x[j] - v) ** 2, 0); if (d < bd) { bd = d; best = t; } });
    return best;
  });
  it('is refused in a model file, naming it, where scoring could not hold the others beside it; nearer, it scores as float64 does', async () => {
    const fx = fixture('iris-k3');
    const json = (await kmeans(fx.X, { k: 3, seed: 5, threads: 1 })).toJSON();
    // at 1e34 from the means, the scale that keeps it in float32 leaves the products that tell rows between the
    // other centroids apart at float32's smallest numbers: rows got wrong labels, and at 1e36 every row one
    const far = { ...json, centroids: [json.centroids[0], [1e34, -1e34, 1e34, 1e34], json.centroids[2]] };
    let e: SegkitError | undefined;
    try { KMeansModel.fromJSON(far); } catch (x) { e = x as SegkitError; }
    expect(e?.code).toBe('E_BAD_MODEL');
    expect(e?.message).toContain('"centroids[1]"');
    expect(e?.message).toContain('float32');
    // at 1e20 scoring scales the rows down too, and float32 still holds them all: the labels of a float64 twin
    const near = KMeansModel.fromJSON({ ...json, centroids: [json.centroids[0], [1e20, -1e20, 1e20, 1e20], json.centroids[2]] });
    const want = nearest(fx.X, near.centroids);
    expect(new Set(want).size).toBe(2);
    expect(Array.from(await near.predict(fx.X, { threads: 1 }))).toEqual(want);
  });
});

describe('bad input gets a clear error', () => {
  const code = async (p: Promise<unknown>) => { try { await p; } catch (e) { return [(e as SegkitError).code, (e as Error).message]; } return ['no error', '']; };
  it.each([
    ['NaN', [[1, 2], [NaN, 3]], { k: 1 }, 'E_NAN_INPUT', /row 1, column "x0"/],
    ['Infinity', [[1, 2], [2, Infinity]], { k: 1 }, 'E_NAN_INPUT', /row 1, column "x1"/],
    ['ragged rows', [[1, 2], [3]], { k: 1 }, 'E_RAGGED_ROWS', /row 1/],
    ['empty data', [], { k: 1 }, 'E_EMPTY_DATA', /no rows/],
    ['non-numeric', [[1, 2], [3, '4']], { k: 1 }, 'E_NON_NUMERIC', /row 1, column "x1"/],
    ['k too large', [[1, 1], [1, 1], [2, 2]], { k: 3 }, 'E_TOO_FEW_DISTINCT', /2 distinct/],
    ['k larger than n', [[1, 1]], { k: 2 }, 'E_TOO_FEW_DISTINCT', /only 1 rows/],
    ['k zero', [[1, 1]], { k: 0 }, 'E_BAD_OPTION', /"k"/],
    ['bad init', [[1, 1], [2, 2]], { k: 2, init: 'kmeans' }, 'E_BAD_OPTION', /"init"/],
    ['init shape', [[1, 1], [2, 2]], { k: 2, init: [[1, 1]] }, 'E_BAD_OPTION', /"init"/],
    // a start given twice is named as such, not blamed on float32 centring
    ['init repeated', [[1, 1], [2, 2], [3, 3]], { k: 3, init: [[1, 1], [3, 3], [1, 1]] }, 'E_BAD_OPTION', /^option "init" row 2 repeats an earlier row/],
    ['bad tol', [[1, 1], [2, 2]], { k: 2, tol: -1 }, 'E_BAD_OPTION', /"tol"/],
    ['bad threads', [[1, 1], [2, 2]], { k: 2, threads: 0 }, 'E_BAD_OPTION', /"threads"/],
    ['bad weights', [[1, 1], [2, 2]], { k: 2, sampleWeight: [1, -1] }, 'E_BAD_OPTION', /row 1/],
    // float32 would hold 1e-46 as 0: rows 2 and 3 would drop out of the fit, and their cluster be re-seeded elsewhere
    ['weight float32 holds as 0', [[0, 0], [1, 1], [5, 5], [6, 6]], { k: 2, init: [[0, 0], [6, 6]], sampleWeight: [1, 1, 1e-46, 1e-46] }, 'E_BAD_OPTION', /"sampleWeight" at row 2 is 1e-46/],
    ['weights float32 holds as 0', [[0, 0], [1, 1], [5, 5], [6, 6]], { k: 2, sampleWeight: [1e-46, 1e-46, 1e-46, 1e-46] }, 'E_BAD_OPTION', /"sampleWeight" at row 0 is 1e-46/],
    ['weights length', [[1, 1], [2, 2]], { k: 2, sampleWeight: [1] }, 'E_SHAPE_MISMATCH', /sampleWeight/],
  ])('%s', async (_, data, options, want, message) => {
    const [c, msg] = await code(kmeans(data as number[][], { threads: 1, ...(options as { k: number }) }));
    expect(c).toBe(want);
    expect(msg).toMatch(message);
  });

  it('predict checks the feature count and never mutates the input', async () => {
    const rows = [[1, 2], [3, 4], [5, 6]];
    const copy = JSON.parse(JSON.stringify(rows));
    const m = await kmeans(rows, { k: 2, seed: 1, threads: 1 });
    expect(rows).toEqual(copy);
    const [c] = await code(m.predict([[1, 2, 3]]));
    expect(c).toBe('E_SHAPE_MISMATCH');
  });
});

describe('k-means++ draws', () => {
  it('each target finds the first row where the running potential reaches it, as a walk of its own would', async () => {
    const { inlineExecutor } = await import('../src/index.node.js');
    const { pickOp } = await import('../src/core/kmeansOps.js');
    const rng = createRandom(4);
    const n = 3000, shardRows = 1024;
    const closest = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : rng.next() * 3));
    // a row whose potential is infinite in the last shard: every later running sum is infinite
    closest[2500] = Infinity;
    const weights = Float32Array.from({ length: n }, () => 0.5 + rng.next());
    for (const w of [undefined, weights]) {
      const ex = inlineExecutor();
      const h = await ex.load({ columns: [new Float32Array(n)], rows: { closest, ...(w ? { weights: w } : {}) } }, { shardRows });
      const shards = Math.ceil(n / shardRows);
      // every shard's start: the potential of the shards before it, summed row by row as the op does
      const starts: number[] = [];
      let acc = 0;
      for (let s = 0; s < shards; s++) {
        starts.push(acc);
        for (let i = s * shardRows; i < Math.min(n, (s + 1) * shardRows); i++) acc += w ? w[i] * closest[i] : closest[i];
      }
      // targets in no order, repeated, at a row's exact running potential, past the shard's end, and NaN
      const shardsOf: number[] = [], targets: number[] = [];
      for (let s = 0; s < shards; s++) {
        const end = s + 1 < shards ? starts[s + 1] : acc;
        const own = [0.7, 0.1, 0.5, 0.1, 0.999, 0.3].map((f) => starts[s] + f * (end - starts[s]));
        // NaN among the others (a sort by difference would leave it anywhere), infinities, a target below the start
        own.splice(2, 0, NaN);
        own.push(end + 1, NaN, starts[s], Infinity, -Infinity, starts[s] - 1);
        for (const r of own) { shardsOf.push(s); targets.push(r); }
      }
      const state = { shardsOf: Int32Array.from(shardsOf), starts: Float64Array.from(shardsOf, (s) => starts[s]), targets: Float64Array.from(targets) };
      const parts = await ex.map(pickOp, h, state);
      const got = parts.flatMap((p) => [...p]);
      const want = targets.map((r, q) => {
        const s = shardsOf[q];
        let a = starts[s];
        const last = Math.min(n, (s + 1) * shardRows);
        for (let i = s * shardRows; i < last; i++) {
          a += w ? w[i] * closest[i] : closest[i];
          if (a >= r) return i;
        }
        return last - 1;
      });
      expect(got).toEqual(want);
      expect(new Set(got).size).toBeGreaterThan(15);
      await ex.release(h);
      await ex.close();
    }
  });
});
