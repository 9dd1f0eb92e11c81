// The bounds never change a label: a fit that skips what its bounds prove gives the same bytes as plain Lloyd (every
// centre measured for every row, every pass) on the same kernel, and the bounded pass agrees with the scalar twin.
import { afterAll, describe, expect, it } from 'vitest';
import { createRandom } from '../src/util/random.js';
import { fromColumns } from '../src/data/dataset.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { loadMatrix } from '../src/engine/matrix.js';
import { centresF32 } from '../src/kernels/shard.js';
import { assignOp, boundedAssignOp } from '../src/core/kmeansOps.js';
import { boundedState, lloyd, planBounds } from '../src/core/lloyd.js';
import { assignTwin } from './twins/kernels.js';
import { bytes } from './helpers.js';

const ex = inlineExecutor();
afterAll(() => ex.close());

/** Overlapping Gaussian clusters (so fits take many iterations and many rows sit near boundaries). */
function overlapping(n: number, d: number, clusters: number, seed: number, spread = 1.5) {
  const rng = createRandom(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, () => rng.normal() * 2));
  const columns = Array.from({ length: d }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) columns[j][i] = centres[i % clusters][j] + rng.normal() * spread;
  return fromColumns({ columns });
}

/** Skewed, unclustered columns: log-normal amounts and 0/1 flags, standardised. */
function skewed(n: number, d: number, seed: number) {
  const rng = createRandom(seed);
  const columns = Array.from({ length: d }, (_, j) => {
    const c = Float32Array.from({ length: n }, () => (j % 4 === 3 ? (rng.next() < 0.2 ? 1 : 0) : Math.exp(rng.normal())));
    let s = 0, q = 0;
    for (const v of c) s += v;
    const mu = s / n;
    for (const v of c) q += (v - mu) ** 2;
    const sd = Math.sqrt(q / n);
    return c.map((v) => (v - mu) / sd);
  });
  return fromColumns({ columns });
}

function rowsOf(ds: { columns: readonly Float32Array[]; d: number }, ids: number[]): Float64Array {
  const out = new Float64Array(ids.length * ds.d);
  ids.forEach((r, t) => { for (let j = 0; j < ds.d; j++) out[t * ds.d + j] = ds.columns[j][r]; });
  return out;
}

// the set size is the one the fit plans for that shape (checked), so every layout of bounds is covered
type Case = [name: string, ds: ReturnType<typeof overlapping>, k: number, setSize: number, weights: boolean];
const cases: Case[] = [
  ['d=16 k=8, a bound per centre (Elkan)', overlapping(70_001, 16, 8, 1), 8, 1, false],
  ['d=16 k=32, a bound per 4 centres', overlapping(40_003, 16, 12, 2, 2.5), 32, 4, false],
  ['d=8 k=5, a bound per 2 centres, weighted', skewed(30_011, 8, 3), 5, 2, true],
  ['d=6 k=13, a bound per 8 centres (sets spanning units)', overlapping(20_000, 6, 7, 4, 2), 13, 8, false],
  ['d=64 k=8, a bound per unit of 4 centres and the row-major copy', overlapping(20_000, 64, 8, 5, 6), 8, 4, false],
  ['d=24 k=8, a bound per centre', overlapping(20_000, 24, 8, 5, 4), 8, 1, false],
  ['d=17 k=3, a bound per centre (one unit)', skewed(12_345, 17, 6), 3, 1, false],
];

describe('bounded Lloyd equals plain Lloyd bit for bit', () => {
  it.each(cases)('%s', async (_name, ds, k, setSize, weighted) => {
    const weights = weighted ? Float32Array.from({ length: ds.n }, (_, i) => 0.25 + (i % 5)) : undefined;
    const m = await loadMatrix(ex, ds, { weights });
    try {
      const rng = createRandom(k * 7 + ds.d);
      const ids = new Set<number>();
      while (ids.size < k) ids.add(rng.int(ds.n));
      const init = rowsOf(ds, [...ids]).map((v, q) => v - m.offset[q % ds.d]);
      expect(planBounds(init, k, ds.d)?.setSize).toBe(setSize);
      const run = async (bounds: boolean) => {
        const computed: number[] = [];
        const r = await lloyd(m, init, k, { maxIter: 300, tolAbs: 0, bounds, boundsAfter: 1, boundsGiveUp: 1, onIteration: (p) => computed.push(p.computed) });
        return { r, labels: (await ex.readRows(m.handle, 'labels')) as Int32Array, computed };
      };
      const plain = await run(false);
      const bounded = await run(true);
      // the row-major copy (from 32 features) goes with the fit that made it
      if (ds.d >= 32) await expect(ex.readRows(m.handle, 'rowMajor')).rejects.toMatchObject({ code: 'E_EXECUTOR' });
      expect(plain.r.iterations).toBeGreaterThan(5);
      expect(bounded.r.iterations).toBe(plain.r.iterations);
      expect(bounded.r.converged).toBe(plain.r.converged);
      expect(bytes(bounded.labels).equals(bytes(plain.labels))).toBe(true);
      expect(bytes(bounded.r.centers).equals(bytes(plain.r.centers))).toBe(true);
      expect(Object.is(bounded.r.inertia, plain.r.inertia)).toBe(true);
      // the comparison is not vacuous: plain passes measure everything, the bounded ones skipped most of it
      expect(plain.computed).toHaveLength(plain.r.iterations);
      expect(plain.computed.every((c) => c === 1)).toBe(true);
      expect(Math.min(...bounded.computed.slice(1))).toBeLessThan(0.5);
    } finally {
      await m.release();
    }
  });

  it('the bounds and the row-major copy are written before they are read: memory an earlier load left full of huge values changes nothing', async () => {
    const ds = overlapping(20_000, 40, 8, 12, 5);
    // values that would settle every row if read as bounds, over more memory than the fit's data, bounds and copy
    // take, then let go for them to reuse
    await ex.release(await ex.load({ columns: Array.from({ length: 120 }, () => new Float32Array(ds.n).fill(3e38)) }));
    const m = await loadMatrix(ex, ds);
    try {
      const rng = createRandom(12);
      const ids = new Set<number>();
      while (ids.size < 8) ids.add(rng.int(ds.n));
      const init = rowsOf(ds, [...ids]).map((v, q) => v - m.offset[q % ds.d]);
      const computed: number[] = [];
      const bounded = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, boundsAfter: 1, boundsGiveUp: 1, onIteration: (p) => computed.push(p.computed) });
      const labels = await ex.readRows(m.handle, 'labels');
      const plain = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, bounds: false });
      expect(Math.min(...computed)).toBeLessThan(0.5);
      expect(bytes(labels).equals(bytes(await ex.readRows(m.handle, 'labels')))).toBe(true);
      expect(bytes(bounded.centers).equals(bytes(plain.centers))).toBe(true);
      expect(Object.is(bounded.inertia, plain.inertia)).toBe(true);
    } finally {
      await m.release();
    }
  });

  it('bounded passes that prune little give way to plain passes for the rest of the fit, with the same bytes', async () => {
    const ds = overlapping(20_000, 24, 8, 5, 6);
    const m = await loadMatrix(ex, ds);
    try {
      const rng = createRandom(8 * 7 + ds.d);
      const ids = new Set<number>();
      while (ids.size < 8) ids.add(rng.int(ds.n));
      const init = rowsOf(ds, [...ids]).map((v, q) => v - m.offset[q % ds.d]);
      const plain = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, bounds: false });
      const plainLabels = await ex.readRows(m.handle, 'labels');
      const steps: number[] = [];
      // bounds from the second pass; the default share (0.3) ends them
      const fit = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, boundsAfter: 1, onIteration: (p) => steps.push(p.computed) });
      // pass 2 starts the bounds (every distance); the first later pass above 0.3 is the last bounded one
      const over = steps.findIndex((c, i) => i >= 2 && c > 0.3);
      expect(over).toBeGreaterThan(1);
      expect(steps[over]).toBeLessThan(1);
      expect(steps.slice(over + 1).length).toBeGreaterThan(3);
      expect(steps.slice(over + 1).every((c) => c === 1)).toBe(true);
      expect(fit.iterations).toBe(plain.iterations);
      expect(bytes(await ex.readRows(m.handle, 'labels')).equals(bytes(plainLabels))).toBe(true);
      expect(bytes(fit.centers).equals(bytes(plain.centers))).toBe(true);
      expect(Object.is(fit.inertia, plain.inertia)).toBe(true);
      // with the share at 1 the same fit stays bounded to the end
      const kept: number[] = [];
      await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, boundsAfter: 1, boundsGiveUp: 1, onIteration: (p) => kept.push(p.computed) });
      expect(kept.slice(over + 1).some((c) => c < 1)).toBe(true);
    } finally {
      await m.release();
    }
  });

  it('a fit that stops by tolerance as the bounds would start makes its last pass plain, with the same bytes', async () => {
    const ds = overlapping(30_000, 16, 8, 3);
    const names: string[] = [];
    const m = await loadMatrix(ex, ds);
    // the executor records the ops it maps
    const map = ex.map;
    ex.map = function (this: typeof ex, op: { name: string }, ...rest: unknown[]) {
      names.push(op.name);
      return (map as (...a: unknown[]) => never).call(this, op, ...rest);
    } as typeof ex.map;
    try {
      const rng = createRandom(3);
      const ids = new Set<number>();
      while (ids.size < 8) ids.add(rng.int(ds.n));
      const init = rowsOf(ds, [...ids]).map((v, q) => v - m.offset[q % ds.d]);
      const plain = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 1e9, bounds: false });
      const plainLabels = await ex.readRows(m.handle, 'labels');
      names.length = 0;
      // bounds due from the second pass; the first pass's shift is within the tolerance, so the last pass follows it
      const fit = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 1e9, boundsAfter: 1 });
      expect(fit.iterations).toBe(1);
      expect(names.filter((x) => x.startsWith('kmeans.'))).toEqual(['kmeans.assign', 'kmeans.assign']);
      expect(bytes(await ex.readRows(m.handle, 'labels')).equals(bytes(plainLabels))).toBe(true);
      expect(bytes(fit.centers).equals(bytes(plain.centers))).toBe(true);
      expect(Object.is(fit.inertia, plain.inertia)).toBe(true);
      // with two iterations the second pass starts the bounds (a bounded op), and the last one, with bounds kept, is bounded too
      names.length = 0;
      await lloyd(m, init, 8, { maxIter: 2, tolAbs: 0, boundsAfter: 1 });
      expect(names.filter((x) => x.startsWith('kmeans.'))).toEqual(['kmeans.assign', 'kmeans.assignBounded', 'kmeans.assignBounded']);
    } finally {
      ex.map = map;
      await m.release();
    }
  });

  it('a fit longer than the bounds\' tables (stamps restamped) and one that re-seeds an empty cluster', async () => {
    const ds = overlapping(50_000, 8, 20, 9, 3);
    const m = await loadMatrix(ex, ds);
    try {
      const rng = createRandom(1);
      const ids = new Set<number>();
      while (ids.size < 20) ids.add(rng.int(ds.n));
      const init = rowsOf(ds, [...ids]).map((v, q) => v - m.offset[q % ds.d]);
      // a centre far from every row: its cluster is empty after the first pass and takes the farthest row
      const far = Float64Array.from(init);
      for (let j = 0; j < ds.d; j++) far[5 * ds.d + j] = 1e3;
      for (const start of [init, far]) {
        const plain = await lloyd(m, start, 20, { maxIter: 300, tolAbs: 0, bounds: false });
        const plainLabels = await ex.readRows(m.handle, 'labels');
        const steps: { changed: number; computed: number }[] = [];
        const bounded = await lloyd(m, start, 20, { maxIter: 300, tolAbs: 0, onIteration: (p) => steps.push(p) });
        expect(bounded.iterations).toBe(plain.iterations);
        // plain passes until one changes at most 0.5% of the labels, bounded passes from the next one on
        const settled = steps.findIndex((p) => p.changed <= 0.005 * ds.n);
        expect(settled).toBeGreaterThan(0);
        expect(steps.slice(0, settled + 1).every((p) => p.computed === 1)).toBe(true);
        if (start === init) expect(Math.min(...steps.slice(settled + 1).map((p) => p.computed))).toBeLessThan(0.5);
        if (start === init) expect(plain.iterations).toBeGreaterThan(40);
        expect(bytes(await ex.readRows(m.handle, 'labels')).equals(bytes(plainLabels))).toBe(true);
        expect(bytes(bounded.centers).equals(bytes(plain.centers))).toBe(true);
        expect(Object.is(bounded.inertia, plain.inertia)).toBe(true);
      }
    } finally {
      await m.release();
    }
  });
});

describe('the bounded pass on awkward shapes', () => {
  // rows with ties (duplicates, integer values), k not a multiple of 4, shards with ragged ends
  const shapes: [n: number, d: number, k: number, setSize: number][] = [
    [1, 1, 1, 1], [7, 2, 3, 2], [37, 5, 5, 1], [1_001, 9, 11, 4], [70_003, 3, 7, 8], [4_099, 16, 17, 2],
    // with the row-major copy: 35 features (3 past a multiple of 4), shards of 1024 rows and a last one of 953
    [3_001, 35, 9, 1], [1_027, 32, 4, 2],
  ];
  it.each(shapes)('n=%i d=%i k=%i, %i centres per bound: labels of the scalar twin and the plain pass\'s deltas on every pass', async (n, d, k, setSize) => {
    const rng = createRandom(n + d + k);
    const columns = Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, () => (j % 2 ? Math.round(rng.normal() * 2) : rng.normal() * 3)));
    for (let i = 1; i < n; i += 7) for (const c of columns) c[i] = c[i - 1];
    const a = await ex.load({ columns }, { shardRows: 1024 });
    const b = await ex.load({ columns }, { shardRows: 1024 });
    try {
      let cent = new Float32Array(k * d);
      for (let q = 0; q < cent.length; q++) cent[q] = columns[q % d][rng.int(n)];
      const plan = planBounds(Float64Array.from(cent), k, d, setSize)!;
      expect(plan.rowMajor).toBe(d >= 32);
      const history = new Map<number, Float32Array>();
      for (let now = 0; now < 12; now++) {
        const { norms } = centresF32(cent, k, d);
        const force = now === 0;
        const state = boundedState(plan, k, d, cent, norms, history, { now, base: force ? 0 : Math.max(0, now - 32), force, reset: force });
        const got = await ex.map(boundedAssignOp, a, state);
        const want = await ex.map(assignOp, b, { cent, norms, k, reset: force, sums: true, dist: false });
        const labels = (await ex.readRows(a, 'labels')) as Int32Array;
        expect(Array.from(labels)).toEqual(Array.from(assignTwin(columns, n, cent, k).labels));
        expect(bytes(labels).equals(bytes(await ex.readRows(b, 'labels')))).toBe(true);
        expect(got).toHaveLength(want.length);
        if (plan.rowMajor) {
          // the copy holds each row's d values side by side, written by the pass that started the bounds
          const copy = (await ex.readRows(a, 'rowMajor')) as Float32Array;
          for (const i of [0, 1, 3, 4, 1023, 1024, n - 2, n - 1]) {
            if (i >= 0 && i < n) expect(Array.from(copy.subarray(i * d, (i + 1) * d))).toEqual(columns.map((c) => c[i]));
          }
        }
        got.forEach((p, s) => {
          expect(p.changed).toBe(want[s].changed);
          expect(bytes(p.deltas!).equals(bytes(want[s].deltas!))).toBe(true);
        });
        history.set(now, cent);
        // centres drift by a shrinking step, some jump, one may land on a row (ties)
        const next = Float32Array.from(cent, (v) => v + (rng.next() < 0.1 ? rng.normal() : rng.normal() * 0.3 / (now + 1)));
        if (now % 4 === 3) for (let j = 0; j < d; j++) next[j] = columns[j][rng.int(n)];
        cent = next;
      }
    } finally {
      await ex.release(a);
      await ex.release(b);
    }
  });
});
