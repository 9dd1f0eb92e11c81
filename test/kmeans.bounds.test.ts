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
import { Heap } from '../src/kernels/heap.js';

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

/** k distinct random rows of ds (by seed) as centres in the loaded matrix's coordinates. */
function startAt(ds: { columns: readonly Float32Array[]; d: number; n: number }, m: { offset: Float64Array }, k: number, seed: number): Float64Array {
  const rng = createRandom(seed);
  const ids = new Set<number>();
  while (ids.size < k) ids.add(rng.int(ds.n));
  return rowsOf(ds, [...ids]).map((v, q) => v - m.offset[q % ds.d]);
}

// the set size is the one the fit plans for that shape (checked), so every layout of bounds is covered
type Case = [name: string, ds: ReturnType<typeof overlapping>, k: number, setSize: number, weights: boolean];
const cases: Case[] = [
  ['d=16 k=8, a bound per 2 centres', overlapping(70_001, 16, 8, 1), 8, 2, false],
  ['d=16 k=32, a bound per 4 centres', overlapping(40_003, 16, 12, 2, 2.5), 32, 4, false],
  ['d=8 k=5, a bound per 2 centres, weighted', skewed(30_011, 8, 3), 5, 2, true],
  ['d=6 k=13, a bound per 8 centres (sets spanning units)', overlapping(20_000, 6, 7, 4, 2), 13, 8, false],
  ['d=64 k=8, a bound per unit of 4 centres and the row-major copy', overlapping(20_000, 64, 8, 5, 6), 8, 4, false],
  ['d=24 k=8, a bound per 2 centres', overlapping(20_000, 24, 8, 5, 4), 8, 2, false],
  ['d=17 k=3, a bound per 2 centres (one unit)', skewed(12_345, 17, 6), 3, 2, false],
];

describe('bounded Lloyd equals plain Lloyd bit for bit', () => {
  it.each(cases)('%s', async (_name, ds, k, setSize, weighted) => {
    const weights = weighted ? Float32Array.from({ length: ds.n }, (_, i) => 0.25 + (i % 5)) : undefined;
    const m = await loadMatrix(ex, ds, { weights });
    try {
      const init = startAt(ds, m, k, k * 7 + ds.d);
      expect(planBounds(init, k, ds.d)?.setSize).toBe(setSize);
      const run = async (bounds: boolean) => {
        const computed: number[] = [];
        // a bounded pass's look at the row-major copy, while the fit holds it
        let copy: Promise<unknown> | undefined;
        const r = await lloyd(m, init, k, {
          maxIter: 300, tolAbs: 0, bounds, boundsAfter: 1, boundsGiveUp: 1,
          onIteration: (p) => { computed.push(p.computed); if (p.computed < 1) copy ??= ex.readRows(m.handle, 'rowMajor').catch((e: unknown) => e); },
        });
        return { r, labels: (await ex.readRows(m.handle, 'labels')) as Int32Array, computed, copy: await copy };
      };
      const plain = await run(false);
      const bounded = await run(true);
      if (ds.d >= 32) {
        // the copy (from 32 features) holds every row's loaded (centred) values side by side during the fit, and
        // goes with it
        const copy = bounded.copy as Float32Array;
        expect(copy).toBeInstanceOf(Float32Array);
        expect(m.scale).toBe(1);
        for (const i of [0, 1, 4_097, ds.n - 1]) {
          expect(Array.from(copy.subarray(i * ds.d, (i + 1) * ds.d))).toEqual(ds.columns.map((c, j) => Math.fround(c[i] - m.offset[j])));
        }
        await expect(ex.readRows(m.handle, 'rowMajor')).rejects.toMatchObject({ code: 'E_EXECUTOR' });
      } else {
        expect(bounded.copy).toMatchObject({ code: 'E_EXECUTOR' });
      }
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

  it.each([3e38, -3e38])('the bounds and the row-major copy are written before they are read: memory an earlier load left full of %d changes nothing', async (junk) => {
    const ds = overlapping(20_000, 40, 8, 12, 5);
    // values that would settle every row if read as lower bounds (3e38) or as upper bounds (-3e38), over more memory
    // than the fit's data, bounds and copy take, then let go for them to reuse
    await ex.release(await ex.load({ columns: Array.from({ length: 120 }, () => new Float32Array(ds.n).fill(junk)) }));
    const m = await loadMatrix(ex, ds);
    try {
      const init = startAt(ds, m, 8, 12);
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
      const init = startAt(ds, m, 8, 8 * 7 + ds.d);
      const plain = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, bounds: false });
      const plainLabels = await ex.readRows(m.handle, 'labels');
      const steps: number[] = [];
      // bounds from the second pass; the default share (0.3) ends them (every pass timed alike: none is dearer than a plain one)
      let tick = 0;
      const fit = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, boundsAfter: 1, clock: () => tick++, onIteration: (p) => steps.push(p.computed) });
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

  it('three bounded passes in a row that compute more than k d / 5000 of the distances and take longer than a plain pass end the bounds, with the same bytes', async () => {
    const ds = skewed(30_000, 16, 21);
    const m = await loadMatrix(ex, ds);
    // a clock by which a bounded pass takes `bounded` ms and a plain one 1 ms: the executor moves it as it maps
    let now = 0, bounded = 100;
    const map = ex.map;
    ex.map = function (this: typeof ex, op: { name: string }, ...rest: unknown[]) {
      now += op.name === 'kmeans.assignBounded' ? bounded : op.name === 'kmeans.assign' ? 1 : 0;
      return (map as (...a: unknown[]) => never).call(this, op, ...rest);
    } as typeof ex.map;
    const clock = () => now;
    try {
      const init = startAt(ds, m, 8, 21);
      const plain = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, bounds: false });
      const plainLabels = await ex.readRows(m.handle, 'labels');
      const worth = (8 * 16) / 5000;
      // timed alike, the bounded passes run from the settling of the labels to the end, several above the share
      bounded = 1;
      const kept: number[] = [];
      await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, clock, onIteration: (p) => kept.push(p.computed) });
      const first = kept.findIndex((c) => c < 1) - 1;
      expect(first).toBeGreaterThan(0);
      const dear = kept.findIndex((c, i) => i > first + 2 && c > worth && kept[i - 1] > worth && kept[i - 2] > worth && kept[i - 2] < 1);
      expect(dear).toBeGreaterThan(first);
      expect(kept.slice(dear + 1).some((c) => c < 1)).toBe(true);
      // bounded passes dearer than plain ones: the third dear one in a row is the last
      bounded = 100;
      const steps: number[] = [];
      const fit = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, clock, onIteration: (p) => steps.push(p.computed) });
      expect(steps.slice(0, dear + 1)).toEqual(kept.slice(0, dear + 1));
      expect(steps.slice(dear + 1).length).toBeGreaterThan(2);
      expect(steps.slice(dear + 1).every((c) => c === 1)).toBe(true);
      expect(fit.iterations).toBe(plain.iterations);
      expect(bytes(await ex.readRows(m.handle, 'labels')).equals(bytes(plainLabels))).toBe(true);
      expect(bytes(fit.centers).equals(bytes(plain.centers))).toBe(true);
      expect(Object.is(fit.inertia, plain.inertia)).toBe(true);
      // a share given by the caller is the only rule: dear passes then stay bounded
      const given: number[] = [];
      await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, boundsGiveUp: 1, clock, onIteration: (p) => given.push(p.computed) });
      expect(given).toEqual(kept);
    } finally {
      ex.map = map;
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
      const init = startAt(ds, m, 8, 3);
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
      const init = startAt(ds, m, 20, 1);
      // a centre far from every row: its cluster is empty after the first pass and takes the farthest row
      const far = Float64Array.from(init);
      for (let j = 0; j < ds.d; j++) far[5 * ds.d + j] = 1e3;
      for (const start of [init, far]) {
        const plain = await lloyd(m, start, 20, { maxIter: 300, tolAbs: 0, bounds: false });
        const plainLabels = await ex.readRows(m.handle, 'labels');
        const steps: { changed: number; computed: number }[] = [];
        // passes timed alike: the bounds run on whatever the machine's load
        const bounded = await lloyd(m, start, 20, { maxIter: 300, tolAbs: 0, clock: () => 0, onIteration: (p) => steps.push(p) });
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

describe('the row-major copy when memory is short', () => {
  it('an optional block the memory has no room for is -1; any other is E_MEMORY', () => {
    // two 64 KiB pages, the first left to the module's static data
    const heap = new Heap(false, 1, 2);
    expect(heap.alloc(70_000, true)).toBe(-1);
    expect(() => heap.alloc(70_000)).toThrow(expect.objectContaining({ code: 'E_MEMORY' }));
    expect(heap.alloc(60_000, true)).toBeGreaterThan(0);
  });

  it('a fit whose memory has no room for the copy reads the columns, with the same bytes', async () => {
    const own = inlineExecutor();
    const ds = overlapping(20_000, 40, 8, 13, 5);
    const m = await loadMatrix(own, ds);
    try {
      const init = startAt(ds, m, 8, 13);
      const fit = async (copy: boolean) => {
        const computed: number[] = [];
        let seen: Promise<unknown> | undefined;
        const r = await lloyd(m, init, 8, {
          maxIter: 300, tolAbs: 0, boundsAfter: 1, boundsGiveUp: 1,
          onIteration: (p) => { computed.push(p.computed); if (p.computed < 1) seen ??= own.readRows(m.handle, 'rowMajor').then(() => true, () => false); },
        });
        expect(await seen).toBe(copy);
        expect(Math.min(...computed)).toBeLessThan(0.5);
        return { r, labels: await own.readRows(m.handle, 'labels') };
      };
      const withCopy = await fit(true);
      // the memory may grow no further than half the copy past the furthest block so far (the copy was the last)
      const { heap } = await (own as unknown as { local(): Promise<{ heap: Heap }> }).local();
      (heap as unknown as { limit: number }).limit = heap.reached - (ds.n * ds.d * 4) / 2;
      const without = await fit(false);
      const plain = await lloyd(m, init, 8, { maxIter: 300, tolAbs: 0, bounds: false });
      const plainLabels = await own.readRows(m.handle, 'labels');
      for (const r of [withCopy, without]) {
        expect(bytes(r.labels).equals(bytes(plainLabels))).toBe(true);
        expect(bytes(r.r.centers).equals(bytes(plain.centers))).toBe(true);
        expect(Object.is(r.r.inertia, plain.inertia)).toBe(true);
      }
    } finally {
      await m.release();
      await own.close();
    }
  });

  it('a buffer of that name but another width is refused with E_EXECUTOR', async () => {
    const columns = Array.from({ length: 33 }, (_, j) => Float32Array.from({ length: 3_000 }, (_, i) => Math.sin(i * (j + 1))));
    const h = await ex.load({ columns });
    try {
      await ex.writeRows(h, 'rowMajor', new Float32Array(3_000));
      const cent = Float32Array.from({ length: 4 * 33 }, (_, q) => columns[q % 33][q * 7]);
      const plan = planBounds(Float64Array.from(cent), 4, 33)!;
      expect(plan.rowMajor).toBe(true);
      const { norms } = centresF32(cent, 4, 33);
      const state = boundedState(plan, 4, 33, cent, norms, new Map(), { now: 0, base: 0, force: false, reset: false });
      await expect(ex.map(boundedAssignOp, h, state)).rejects.toMatchObject({ code: 'E_EXECUTOR', message: expect.stringContaining('rowMajor') });
    } finally {
      await ex.release(h);
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
