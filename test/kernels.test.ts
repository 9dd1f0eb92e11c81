import { describe, expect, it } from 'vitest';
import { fromColumns } from '../src/data/dataset.js';
import { createRandom } from '../src/util/random.js';
import { InlineExecutor } from '../src/parallel/inline.js';
import { loadMatrix, writeCentroids, shardRanges } from '../src/kernels/layout.js';
import { assignCalls, partialSize } from '../src/kernels/assign.js';
import { accumulateCalls } from '../src/kernels/accumulate.js';
import { candidatePotentialCalls, updateClosestCalls } from '../src/kernels/seedDistances.js';
import { labelDistanceCalls } from '../src/kernels/labelDistances.js';
import { distanceCalls } from '../src/kernels/distances.js';
import * as twin from './twins/kernels.js';

const ex = new InlineExecutor();
const heap = ex.heap;

function randomData(n: number, d: number, seed: number) {
  const rng = createRandom(seed);
  // a few duplicated rows and integer-valued columns make ties and exact sums likely
  const columns = Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, (_, i) => (j % 2 ? Math.round(rng.normal() * 3) : rng.normal() * 5 + j)));
  for (let i = 1; i < n; i += 11) for (const c of columns) c[i] = c[i - 1];
  return fromColumns({ columns });
}

function centroidsFrom(cols: Float32Array[], k: number, n: number, seed: number): Float32Array {
  const rng = createRandom(seed);
  const d = cols.length;
  const c = new Float32Array(k * d);
  for (let t = 0; t < k; t++) {
    const i = k === n ? t : rng.int(n);
    for (let j = 0; j < d; j++) c[t * d + j] = cols[j][i] + (k === n ? 0 : 0.25 * rng.normal());
  }
  return c;
}

const shapes: [n: number, d: number, k: number][] = [
  [1, 1, 1], [1, 3, 1], [7, 1, 2], [13, 3, 3], [13, 5, 13], [37, 17, 5], [64, 4, 1], [70_003, 5, 3], [131_075, 3, 2],
];

describe.each(shapes)('kernels vs scalar twins: n=%i d=%i k=%i', (n, d, k) => {
  const ds = randomData(n, d, n * 31 + d);
  const cols = ds.columns as Float32Array[];
  const cent = centroidsFrom(cols, k, n, k + 1);
  const weights = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 3));

  it('assign gives the twin\'s labels and distances exactly', async () => {
    const m = await loadMatrix(ex, ds, { offset: new Float64Array(d) });
    const c = heap.alloc(4 * k * d), cn = heap.alloc(4 * k + 64), lab = heap.alloc(4 * m.stride), dist = heap.alloc(4 * m.stride);
    try {
      writeCentroids(heap, c, cn, Float64Array.from(cent), k, d);
      heap.i32(lab, n).fill(-1);
      const changed = await ex.run(assignCalls(m, { cent: c, cnorm: cn, k, labels: lab, dist }));
      const want = twin.assignTwin(cols, n, cent, k);
      expect(Array.from(heap.i32(lab, n))).toEqual(Array.from(want.labels));
      expect(Array.from(heap.f32(dist, n))).toEqual(Array.from(want.dist));
      expect(changed.reduce((a, b) => a + b, 0)).toBe(n);
    } finally {
      for (const p of [c, cn, lab, dist]) heap.release(p);
      m.release();
    }
  });

  it('assign with partials accumulates the twin\'s per-cluster sums', async () => {
    const m = await loadMatrix(ex, ds, { offset: new Float64Array(d), weights });
    const nS = shardRanges(n).length, ps = partialSize(k, d);
    const c = heap.alloc(4 * k * d), cn = heap.alloc(4 * k + 64), lab = heap.alloc(4 * m.stride), parts = heap.alloc(8 * ps * nS);
    try {
      writeCentroids(heap, c, cn, Float64Array.from(cent), k, d);
      heap.i32(lab, n).fill(-1);
      heap.f64(parts, ps * nS).fill(0);
      await ex.run(assignCalls(m, { cent: c, cnorm: cn, k, labels: lab, partials: parts }));
      const labels = Int32Array.from(heap.i32(lab, n));
      const want = twin.accumulateTwin(cols, n, labels, k, weights);
      const got = new Float64Array(k * d + k);
      const p = heap.f64(parts, ps * nS);
      for (let s = 0; s < nS; s++) for (let q = 0; q < k * d + k; q++) got[q] += p[s * ps + q];
      for (let q = 0; q < got.length; q++) expect(got[q]).toBeCloseTo(want[q], 6);
      // the accumulate kernel over the same labels agrees
      heap.f64(parts, ps * nS).fill(0);
      await ex.run(accumulateCalls(m, lab, k, parts, ps));
      const p2 = heap.f64(parts, ps * nS);
      const got2 = new Float64Array(k * d + k);
      for (let s = 0; s < nS; s++) for (let q = 0; q < k * d + k; q++) got2[q] += p2[s * ps + q];
      for (let q = 0; q < got.length; q++) expect(got2[q]).toBeCloseTo(want[q], 6);
    } finally {
      for (const p of [c, cn, lab, parts]) heap.release(p);
      m.release();
    }
  });

  it('k-means++ distance pieces match the twins', async () => {
    const m = await loadMatrix(ex, ds, { offset: new Float64Array(d), weights });
    const nS = shardRanges(n).length;
    const trials = Math.min(3, k);
    const one = heap.alloc(4 * d), closest = heap.alloc(4 * m.stride), cand = heap.alloc(4 * trials * d), parts = heap.alloc(8 * trials * nS);
    try {
      heap.f32(one, d).set(cent.subarray(0, d));
      const pot0 = (await ex.run(updateClosestCalls(m, one, closest, true))).reduce((a, b) => a + b, 0);
      const w0 = twin.updateClosestTwin(cols, n, cent.subarray(0, d), null, weights);
      expect(Array.from(heap.f32(closest, n))).toEqual(Array.from(w0.closest));
      expect(pot0).toBeCloseTo(w0.pot, 4);
      heap.f32(cand, trials * d).set(cent.subarray(0, trials * d));
      heap.f64(parts, trials * nS).fill(0);
      await ex.run(candidatePotentialCalls(m, cand, trials, closest, parts));
      const want = twin.candidatePotentialsTwin(cols, n, cent.subarray(0, trials * d), trials, w0.closest, weights);
      const p = heap.f64(parts, trials * nS);
      for (let t = 0; t < trials; t++) {
        let s = 0;
        for (let sh = 0; sh < nS; sh++) s += p[sh * trials + t];
        expect(s).toBeCloseTo(want[t], 4);
      }
      const last = cent.subarray((k - 1) * d, k * d);
      heap.f32(one, d).set(last);
      await ex.run(updateClosestCalls(m, one, closest, false));
      expect(Array.from(heap.f32(closest, n))).toEqual(Array.from(twin.updateClosestTwin(cols, n, last, w0.closest).closest));
    } finally {
      for (const p of [one, closest, cand, parts]) heap.release(p);
      m.release();
    }
  });

  it('labelDistances and distances match the twins', async () => {
    const m = await loadMatrix(ex, ds, { offset: new Float64Array(d) });
    const nS = shardRanges(n).length;
    const c = heap.alloc(4 * k * d), c64 = heap.alloc(8 * k * d), lab = heap.alloc(4 * m.stride), parts = heap.alloc(16 * k * nS), out = heap.alloc(4 * m.stride * k);
    try {
      writeCentroids(heap, c, 0, Float64Array.from(cent), k, d);
      const cent64 = Float64Array.from(cent, (v, q) => v + 0.125 * (q % 3));
      heap.f64(c64, k * d).set(cent64);
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % k);
      heap.i32(lab, n).set(labels);
      heap.f64(parts, 2 * k * nS).fill(0);
      await ex.run(labelDistanceCalls(m, c64, k, lab, parts));
      const want = twin.labelDistancesTwin(cols, n, cent64, k, labels);
      const p = heap.f64(parts, 2 * k * nS);
      for (let q = 0; q < 2 * k; q++) {
        let s = 0;
        for (let sh = 0; sh < nS; sh++) s += p[sh * 2 * k + q];
        expect(Math.abs(s - want[q])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[q])));
      }
      for (const squared of [true, false]) {
        await ex.run(distanceCalls(m, c, k, squared, out));
        expect(Array.from(heap.f32(out, n * k))).toEqual(Array.from(twin.distancesTwin(cols, n, cent, k, squared)));
      }
    } finally {
      for (const p of [c, c64, lab, parts, out]) heap.release(p);
      m.release();
    }
  });
});

describe('centring on the way in', () => {
  it('subtracts the float32 column mean and reports the sum of squares', async () => {
    const ds = randomData(1001, 3, 5);
    const m = await loadMatrix(ex, ds);
    try {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (const v of ds.columns[j]) s += v;
        expect(m.offset[j]).toBe(Math.fround(s / 1001));
        const col = heap.f32(m.ptr + 4 * j * m.stride, 1001);
        for (let i = 0; i < 1001; i += 97) expect(col[i]).toBe(Math.fround(ds.columns[j][i] - m.offset[j]));
      }
      let ss = 0;
      for (let j = 0; j < 3; j++) for (let i = 0; i < 1001; i++) ss += Math.fround(ds.columns[j][i] - m.offset[j]) ** 2;
      expect(m.sumSquares).toBeCloseTo(ss, 6);
      // the caller's columns are untouched
      expect(ds.columns[0][0]).toBe(randomData(1001, 3, 5).columns[0][0]);
    } finally {
      m.release();
    }
  });
});
