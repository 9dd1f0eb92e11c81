import { afterAll, describe, expect, it } from 'vitest';
import { fromColumns } from '../src/data/dataset.js';
import { createRandom } from '../src/util/random.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { loadMatrix } from '../src/engine/matrix.js';
import { concatInShardOrder, sumInShardOrder, sumNumbers } from '../src/engine/merge.js';
import { centresF32, type Shard } from '../src/kernels/shard.js';
import { columnStride, padRows, SHARD_ROWS } from '../src/kernels/layout.js';
import { assignOp, candidatesOp, distancesOp, takeClosestOp, TRIAL_DISTANCES, updateClosestOp } from '../src/core/kmeansOps.js';
import { accumulateOp, labelDistancesOp } from '../src/metrics/metricOps.js';
import { candidatesUpdateOp, firstCentreOp, ownerCountsOp } from '../src/core/kmeansParallelOps.js';
import { indexUniforms } from '../src/util/random.js';
import * as twin from './twins/kernels.js';

const ex = inlineExecutor();
afterAll(() => ex.close());

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

/** The raw columns loaded as they are (no centring), with optional weights and labels per row. */
async function loaded(cols: Float32Array[], rows: Record<string, Float32Array | Int32Array> = {}) {
  return ex.load({ columns: cols, rows });
}

const shapes: [n: number, d: number, k: number][] = [
  [1, 1, 1], [1, 3, 1], [7, 1, 2], [13, 3, 3], [13, 5, 13], [37, 17, 5], [64, 4, 1], [70_003, 5, 3], [131_075, 3, 2],
  // k = 4q, 4q + 2 and 4q + 3: the kernel's runs of four centres, then two, then one
  [203, 9, 8], [77, 2, 6], [1_031, 6, 7],
];

describe.each(shapes)('kernels vs scalar twins: n=%i d=%i k=%i', (n, d, k) => {
  const ds = randomData(n, d, n * 31 + d);
  const cols = ds.columns as Float32Array[];
  const cent = centroidsFrom(cols, k, n, k + 1);
  const weights = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 3));
  const { norms } = centresF32(cent, k, d);

  it('assign gives the twin\'s labels and distances exactly', async () => {
    const h = await loaded(cols);
    try {
      const parts = await ex.map(assignOp, h, { cent, norms, k, reset: true, sums: false, dist: true });
      const want = twin.assignTwin(cols, n, cent, k);
      expect(Array.from(await ex.readRows(h, 'labels'))).toEqual(Array.from(want.labels));
      expect(Array.from(await ex.readRows(h, 'dist'))).toEqual(Array.from(want.dist));
      expect(sumNumbers(parts.map((p) => p.changed))).toBe(n);
    } finally {
      await ex.release(h);
    }
  });

  it('assign with sum deltas accumulates the twin\'s per-cluster sums', async () => {
    const h = await loaded(cols, { weights });
    try {
      const parts = await ex.map(assignOp, h, { cent, norms, k, reset: true, sums: true, dist: false });
      const labels = (await ex.readRows(h, 'labels')) as Int32Array;
      const want = twin.accumulateTwin(cols, n, labels, k, weights);
      const got = sumInShardOrder(parts.map((p) => p.deltas!));
      expect(got).toHaveLength(want.length);
      for (let q = 0; q < got.length; q++) expect(got[q]).toBeCloseTo(want[q], 6);
      // the accumulate kernel over the same labels agrees
      const got2 = sumInShardOrder(await ex.map(accumulateOp, h, { k }));
      expect(got2).toHaveLength(want.length);
      for (let q = 0; q < got.length; q++) expect(got2[q]).toBeCloseTo(want[q], 6);
      // a second pass from other centres: rows that change label leave their old sums (weighted, in pairs of
      // features, the odd last one alone) and join their new ones
      const cent2 = centroidsFrom(cols, k, n, k + 7);
      const c2 = centresF32(cent2, k, d);
      const parts2 = await ex.map(assignOp, h, { cent: c2.cent, norms: c2.norms, k, reset: false, sums: true, dist: false });
      const labels2 = (await ex.readRows(h, 'labels')) as Int32Array;
      expect(Array.from(labels2)).toEqual(Array.from(twin.assignTwin(cols, n, c2.cent, k).labels));
      const after = twin.accumulateTwin(cols, n, labels2, k, weights);
      const moved = sumInShardOrder(parts2.map((p) => p.deltas!));
      for (let q = 0; q < moved.length; q++) expect(moved[q]).toBeCloseTo(after[q] - want[q], 6);
    } finally {
      await ex.release(h);
    }
  });

  it('k-means++ distance pieces match the twins', async () => {
    const h = await loaded(cols, { weights });
    const trials = Math.min(7, k); // four candidates at a time, then two, then one
    try {
      const pot0 = sumNumbers(await ex.map(updateClosestOp, h, { centre: cent.slice(0, d), first: true }));
      const w0 = twin.updateClosestTwin(cols, n, cent.subarray(0, d), null, weights);
      expect(Array.from(await ex.readRows(h, 'closest'))).toEqual(Array.from(w0.closest));
      expect(pot0).toBeCloseTo(w0.pot, 4);
      const got = sumInShardOrder(await ex.map(candidatesOp, h, { cand: cent.slice(0, trials * d), m: trials }));
      const want = twin.candidatePotentialsTwin(cols, n, cent.subarray(0, trials * d), trials, w0.closest, weights);
      expect(got).toHaveLength(want.length);
      for (let t = 0; t < trials; t++) expect(got[t]).toBeCloseTo(want[t], 4);
      // each candidate measured alone (the one-candidate path) gives the same bits as in its run of four or two
      for (let t = 0; t < trials; t++) {
        const alone = sumInShardOrder(await ex.map(candidatesOp, h, { cand: cent.slice(t * d, (t + 1) * d), m: 1 }));
        expect(alone[0]).toBe(got[t]);
      }
      const last = cent.slice((k - 1) * d, k * d);
      await ex.map(updateClosestOp, h, { centre: last, first: false });
      expect(Array.from(await ex.readRows(h, 'closest'))).toEqual(Array.from(twin.updateClosestTwin(cols, n, last, w0.closest).closest));
    } finally {
      await ex.release(h);
    }
  });

  it('k-means++ keeps the candidates\' distances, each the bits updateClosest computes, and applies the chosen one as it would', async () => {
    // seven candidates: runs of four, then two, then one; shards of 48 rows put every shard after the first at row0 > 0
    const m = 7;
    const cand = centroidsFrom(cols, m, n, n + 5);
    const rng = createRandom(n + 9);
    for (const w of [undefined, weights]) {
      for (const shardRows of [undefined, 48]) {
        const rows: Record<string, Float32Array> = w ? { weights: w } : {};
        const h = await ex.load({ columns: cols, rows }, shardRows ? { shardRows } : {});
        try {
          const size = h.shardRows;
          // closest values below and above the distances, so the minimum takes each side
          const before = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? 0.5 * rng.next() : 1e6 * rng.next()));
          await ex.writeRows(h, 'closest', before);
          const plain = await ex.map(candidatesOp, h, { cand, m });
          await ex.writeRows(h, 'closest', before);
          // keeping the distances changes no potential
          expect(await ex.map(candidatesOp, h, { cand, m, keep: true })).toEqual(plain);
          const kept = (await ex.readRows(h, TRIAL_DISTANCES)) as Float32Array;
          for (let t = 0; t < m; t++) {
            // candidate t's distances, measured alone: shard by shard, its column of the kept values
            await ex.map(updateClosestOp, h, { centre: cand.slice(t * d, (t + 1) * d), first: true });
            const alone = await ex.readRows(h, 'closest');
            for (let r0 = 0; r0 < n; r0 += size) {
              const rowsHere = Math.min(size, n - r0);
              const column = kept.subarray(r0 * m + t * rowsHere, r0 * m + (t + 1) * rowsHere);
              expect(Array.from(column)).toEqual(Array.from(alone.subarray(r0, r0 + rowsHere)));
            }
            // applied to the same closest values: updateClosest's closest values and potentials, bit for bit
            await ex.writeRows(h, 'closest', before);
            const taken = await ex.map(takeClosestOp, h, { trial: t, m });
            const closestTaken = await ex.readRows(h, 'closest');
            await ex.writeRows(h, 'closest', before);
            const updated = await ex.map(updateClosestOp, h, { centre: cand.slice(t * d, (t + 1) * d), first: false });
            expect(taken).toEqual(updated);
            expect(Array.from(closestTaken)).toEqual(Array.from(await ex.readRows(h, 'closest')));
          }
          // a candidate past the kept ones is refused, not read from beyond them
          await expect(ex.map(takeClosestOp, h, { trial: m, m })).rejects.toMatchObject({ code: 'E_EXECUTOR' });
          // let go, the kept distances are gone: the update refuses to run rather than read zeros
          await ex.dropRows!(h, TRIAL_DISTANCES);
          await expect(ex.readRows(h, TRIAL_DISTANCES)).rejects.toMatchObject({ code: 'E_EXECUTOR' });
          await expect(ex.map(takeClosestOp, h, { trial: 0, m })).rejects.toMatchObject({ code: 'E_EXECUTOR' });
          await ex.dropRows!(h, TRIAL_DISTANCES);
        } finally {
          await ex.release(h);
        }
      }
    }
  });

  it('k-means|| passes: closest, owners, potentials, counts and pre-selected rows follow the scalar rule', async () => {
    const seed = 77 + n, l = 2 * k + 5;
    for (const w of [undefined, weights]) {
      const h = await loaded(cols, w ? { weights: w } : {});
      try {
        const shardOf = (i: number) => Math.floor(i / h.shardRows);
        // the twin: per shard, the potential in row order and the rows whose uniform is below l w closest / pot
        const expectPass = (parts: { pot: number; picks?: Float64Array; counts?: Float64Array }[], closest: Float32Array, owner: Int32Array, round: number, total: number) => {
          const pots = new Float64Array(h.shards);
          for (let i = 0; i < n; i++) pots[shardOf(i)] += (w ? w[i] : 1) * closest[i];
          expect(parts.map((p) => p.pot)).toEqual(Array.from(pots));
          const counts = Array.from({ length: h.shards }, () => new Float64Array(total));
          for (let i = 0; i < n; i++) counts[shardOf(i)][owner[i]] += w ? w[i] : 1;
          expect(Array.from(sumInShardOrder(parts.map((p) => p.counts!)))).toEqual(Array.from(sumInShardOrder(counts)));
          if (round < 0) return;
          const uniform = indexUniforms(seed, round);
          const want: number[] = [];
          for (let i = 0; i < n; i++) {
            const wc = (w ? w[i] : 1) * closest[i];
            if (wc > 0 && uniform(i) < (l * wc) / pots[shardOf(i)]) want.push(i, uniform(i), wc, ...cols.map((c) => c[i]));
          }
          expect(Array.from(concatInShardOrder(parts.map((p) => p.picks!)))).toEqual(want);
        };
        const first = cent.slice(0, d);
        const p1 = await ex.map(firstCentreOp, h, { centre: first, round: 0, seed, l, total: 1, count: true });
        const closest = twin.updateClosestTwin(cols, n, first, null, w).closest;
        const owner = new Int32Array(n);
        expect(Array.from(await ex.readRows(h, 'closest'))).toEqual(Array.from(closest));
        expectPass(p1, closest, owner, 0, 1);
        if (k < 2) continue;
        const m = k - 1, cand = cent.slice(d, k * d);
        const update = { cent: cand, norms: centresF32(cand, m, d).norms, m, base: 1, round: 1, seed, l, total: k };
        const p2 = await ex.map(candidatesUpdateOp, h, { ...update, count: true });
        const a = twin.assignTwin(cols, n, cand, m);
        for (let i = 0; i < n; i++) {
          if (a.dist[i] < closest[i]) {
            closest[i] = a.dist[i];
            owner[i] = 1 + a.labels[i];
          }
        }
        expect(Array.from(await ex.readRows(h, 'closest'))).toEqual(Array.from(closest));
        expect(Array.from(await ex.readRows(h, 'owner'))).toEqual(Array.from(owner));
        expectPass(p2, closest, owner, 1, k);
        // the same candidates again change no owner: asked not to count, the pass leaves the counts to a pass of their own
        const p3 = await ex.map(candidatesUpdateOp, h, { ...update, count: false });
        expect(p3.every((p) => p.counts === undefined)).toBe(true);
        expect(p3.map((p) => p.picks)).toEqual(p2.map((p) => p.picks));
        expect(await ex.map(ownerCountsOp, h, { total: k })).toEqual(p2.map((p) => p.counts));
      } finally {
        await ex.release(h);
      }
    }
  });

  it('labelDistances and distances match the twins', async () => {
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % k);
    const cent64 = Float64Array.from(cent, (v, q) => v + 0.125 * (q % 3));
    // the kernel takes rows four at a time: each row's sum and each addition to a cluster's sums as the twin, per
    // shard, so the result is the twin's per shard summed in shard order, bit for bit
    for (const w of [undefined, weights]) {
      const hw = await loaded(cols, w ? { labels, weights: w } : { labels });
      try {
        const got = sumInShardOrder(await ex.map(labelDistancesOp, hw, { centres: cent64, k }));
        const parts: Float64Array[] = [];
        for (let a = 0; a < n; a += SHARD_ROWS) {
          const b = Math.min(n, a + SHARD_ROWS);
          parts.push(twin.labelDistancesTwin(cols.map((c) => c.subarray(a, b)), b - a, cent64, k, labels.subarray(a, b), w?.subarray(a, b)));
        }
        expect(Array.from(got)).toEqual(Array.from(sumInShardOrder(parts)));
      } finally {
        await ex.release(hw);
      }
    }
    const h = await loaded(cols, { labels });
    try {
      for (const squared of [true, false]) {
        await ex.map(distancesOp, h, { cent, k, squared });
        expect(Array.from(await ex.readRows(h, 'distances'))).toEqual(Array.from(twin.distancesTwin(cols, n, cent, k, squared)));
      }
    } finally {
      await ex.release(h);
    }
  });
});

describe('centring on the way in', () => {
  it('column sums are float64 sums of four running pairs of rows, then the rows past the last 8, for every length mod 8 and start', async () => {
    const { columnSumsShard } = await import('../src/kernels/center.js');
    const { instantiateKernels } = await import('../src/kernels/wasm.js');
    const { Scratch } = await import('../src/kernels/shard.js');
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16 });
    const mem = { kernels: await instantiateKernels(memory, false), memory };
    const rng = createRandom(31);
    const d = 3, stride = 1100, base = 65536;
    // values far apart in magnitude, so any other order of the sums gives other float64 bits
    const x = new Float32Array(memory.buffer, base, stride * d);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 2 ** (rng.int(60) - 20);
    const twinSums = (j: number, row0: number, row1: number): number => {
      const lane = [0, 0, 0, 0, 0, 0, 0, 0];
      let i = row0;
      for (; i + 8 <= row1; i += 8) for (let q = 0; q < 8; q++) lane[q] += x[j * stride + i + q];
      let s = ((lane[0] + lane[2]) + (lane[4] + lane[6])) + ((lane[1] + lane[3]) + (lane[5] + lane[7]));
      for (; i < row1; i++) s += x[j * stride + i];
      return s;
    };
    for (const row0 of [0, 1, 3, 5, 8]) {
      for (let rows = 0; rows <= 41; rows += rows < 17 ? 1 : 8) {
        const shard: Shard = { index: 0, start: 0, rows, d, n: row0 + rows, dtype: 'f32', mem, x: base, stride, row0, buffers: new Map(), scratch: new Scratch(base + 4 * stride * d + 64, 4096) };
        const got = columnSumsShard(shard);
        for (let j = 0; j < d; j++) expect(Object.is(got[j], twinSums(j, row0, row0 + rows))).toBe(true);
      }
    }
  });

  it('centreCopy writes x - offset in float32, in place or to another block, and sums the squares in two running pairs of rows', async () => {
    const { instantiateKernels } = await import('../src/kernels/wasm.js');
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16 });
    const kernels = await instantiateKernels(memory, false);
    const rng = createRandom(37);
    const d = 3, stride = 1100, src = 65536, dst = src + 4 * stride * d + 64, off = dst + 4 * stride * d + 64;
    const offset = new Float32Array(memory.buffer, off, d);
    offset.set([0.1, -3e5, 7]);
    for (let rows = 0; rows <= 41; rows += rows < 17 ? 1 : 8) {
      const x = new Float32Array(memory.buffer, src, stride * d);
      // values far apart in magnitude, so any other order of the sums gives other float64 bits
      for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 2 ** (rng.int(40) - 10);
      const want = Float32Array.from({ length: rows * d }, (_, q) => Math.fround(x[Math.floor(q / rows) * stride + (q % rows)] - offset[Math.floor(q / rows)]));
      // rows past the last (to a multiple of 4) are no values: the memory there holds NaN
      for (let j = 0; j < d; j++) x.fill(NaN, j * stride + rows, j * stride + rows + 4);
      const lane = [0, 0, 0, 0];
      for (let j = 0; j < d; j++) for (let i = 0; i < rows; i++) lane[i % 4] += want[j * rows + i] ** 2;
      const twin = (lane[0] + lane[2]) + (lane[1] + lane[3]);
      const before = Float32Array.from(x);
      // to another block (stride 48 there): the source is left as it was
      expect(Object.is(kernels.centreCopy(src, stride, dst, 48, d, rows, off), twin)).toBe(true);
      const out = new Float32Array(memory.buffer, dst, 48 * d);
      for (let j = 0; j < d; j++) expect(Array.from(out.subarray(j * 48, j * 48 + rows))).toEqual(Array.from(want.subarray(j * rows, (j + 1) * rows)));
      expect(x).toEqual(before);
      // in place
      expect(Object.is(kernels.centreCopy(src, stride, src, stride, d, rows, off), twin)).toBe(true);
      for (let j = 0; j < d; j++) expect(Array.from(x.subarray(j * stride, j * stride + rows))).toEqual(Array.from(want.subarray(j * rows, (j + 1) * rows)));
    }
  });

  it('subtracts the float32 column mean and reports the sum of squares', async () => {
    const ds = randomData(1001, 3, 5);
    const before = ds.columns.map((c) => Float32Array.from(c));
    const m = await loadMatrix(ex, ds);
    try {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (const v of ds.columns[j]) s += v;
        expect(m.offset[j]).toBe(Math.fround(s / 1001));
      }
      // the loaded values are x - offset in float32, read back through a shard op
      const { rowsOp } = await import('../src/engine/matrix.js');
      const rows = [0, 97, 500, 1000];
      const got = concatInShardOrder(await ex.map(rowsOp, m.handle, { rows: Int32Array.from(rows) }));
      expect(got).toHaveLength(rows.length * 3);
      rows.forEach((i, q) => {
        for (let j = 0; j < 3; j++) expect(got[q * 3 + j]).toBe(Math.fround(ds.columns[j][i] - m.offset[j]));
      });
      let ss = 0;
      for (let j = 0; j < 3; j++) for (let i = 0; i < 1001; i++) ss += Math.fround(ds.columns[j][i] - m.offset[j]) ** 2;
      expect(m.sumSquares).toBeCloseTo(ss, 6);
      expect(m.scale).toBe(1);
      // the caller's columns are untouched
      ds.columns.forEach((c, j) => expect(Array.from(c)).toEqual(Array.from(before[j])));
    } finally {
      await m.release();
    }
  });
});

describe('kernels on memory past 2 GiB', () => {
  it('rows held uncentred are labelled as the assign kernel labels them, at addresses above 2^31', async () => {
    const { instantiateKernels } = await import('../src/kernels/wasm.js');
    const { Scratch } = await import('../src/kernels/shard.js');
    const { centreAssignCopyShard, assignShard } = await import('../src/kernels/assign.js');
    const PAGE = 65536;
    // pages never written are never made resident: this reserves address space, not memory
    const memory = new WebAssembly.Memory({ initial: 32768 + 64, maximum: 65536 });
    const mem = { kernels: await instantiateKernels(memory, false), memory };
    const n = 64, d = 2, k = 2, stride = 64;
    const x = 2 ** 31 + PAGE, labels = x + 4 * stride * d + 1024, scratch = labels + 4096;
    const f = new Float32Array(memory.buffer, x, stride * d);
    for (let i = 0; i < n; i++) { f[i] = i < 32 ? -5 : 5; f[stride + i] = i % 3; }
    const shard = (): Shard => ({ index: 0, start: 0, rows: n, d, n, dtype: 'f32', mem, x, stride, row0: 0,
      buffers: new Map([['labels', { ptr: labels, type: 'i32' as const, width: 1 }]]), scratch: new Scratch(scratch, 1 << 20) });
    const cent = Float32Array.from([-5, 0, 5, 0]), norms = Float32Array.from([25, 25]);
    centreAssignCopyShard(shard(), { cent, norms, k, labels: 'labels' }, Float32Array.from([0.5, 0]));
    const got = Array.from(new Int32Array(memory.buffer, labels, n));
    // the same rows centred in place, then labelled
    for (let i = 0; i < n; i++) f[i] -= 0.5;
    assignShard(shard(), { cent, norms, k, labels: 'labels' });
    expect(got).toEqual(Array.from(new Int32Array(memory.buffer, labels, n)));
    expect(new Set(got)).toEqual(new Set([0, 1]));
  });
});

describe('column strides', () => {
  it('start consecutive columns 1 KiB apart modulo 4 KiB, or modulo 32 KiB for columns of 512 KiB or more, padded by less than the period', () => {
    for (const bytes of [4, 8]) {
      for (const n of [1, 15, 16, 17, 255, 256, 1000, 1024, 4096, 65_536, 65_537, 131_071, 131_072, 250_000, 1_000_000, 1 << 20]) {
        const s = columnStride(n, bytes);
        const period = padRows(n) * bytes >= 512 * 1024 ? 32768 : 4096;
        expect(s % 16).toBe(0);
        expect(s).toBeGreaterThanOrEqual(padRows(n));
        expect(s - padRows(n)).toBeLessThan(period / bytes);
        expect((s * bytes) % period).toBe(1024);
      }
    }
    expect(columnStride(1 << 20, 4)).toBe((1 << 20) + 256);
    // 250,000 float32 rows: 248 pages and 1 KiB a column (244 pages and 1 KiB ran the assignment kernel 3.6x slower)
    expect(columnStride(250_000, 4)).toBe(254_208);
    expect(columnStride(131_071, 4)).toBe(131_328);
    expect(columnStride(65_536, 8)).toBe(65_536 + 128);
  });

  it('rows held uncentred and labelled block by block (padded block columns) get the labels of rows centred in place', async () => {
    const { instantiateKernels } = await import('../src/kernels/wasm.js');
    const { Scratch } = await import('../src/kernels/shard.js');
    const { centreAssignCopyShard, assignShard, copyBlockRows } = await import('../src/kernels/assign.js');
    // 64 features: 1,024-row blocks, so 2,501 rows take three, the last one partial
    const n = 2501, d = 64, k = 5, stride = columnStride(n, 4);
    expect(copyBlockRows(d)).toBe(1024);
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 256 });
    const mem = { kernels: await instantiateKernels(memory, false), memory };
    const x = 65536, labels = x + 4 * stride * d + 1024, scratch = labels + 4 * stride + 1024;
    const rng = createRandom(5);
    const f = new Float32Array(memory.buffer, x, stride * d);
    for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) f[j * stride + i] = rng.normal() * 3 + (i % k) + j / 8;
    const shard = (): Shard => ({ index: 0, start: 0, rows: n, d, n, dtype: 'f32', mem, x, stride, row0: 0,
      buffers: new Map([['labels', { ptr: labels, type: 'i32' as const, width: 1 }]]), scratch: new Scratch(scratch, 1 << 21) });
    const offset = Float32Array.from({ length: d }, (_, j) => 2 + j / 8);
    const cent = Float32Array.from({ length: k * d }, () => rng.normal() * 2);
    const norms = Float32Array.from({ length: k }, (_, c) => cent.subarray(c * d, (c + 1) * d).reduce((a, v) => Math.fround(a + Math.fround(v * v)), 0));
    const before = Float32Array.from(f);
    centreAssignCopyShard(shard(), { cent, norms, k, labels: 'labels' }, offset);
    const got = Array.from(new Int32Array(memory.buffer, labels, n));
    // the rows are left as they were
    expect(f).toEqual(before);
    for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) f[j * stride + i] = Math.fround(f[j * stride + i] - offset[j]);
    new Int32Array(memory.buffer, labels, n).fill(-1);
    assignShard(shard(), { cent, norms, k, labels: 'labels' });
    expect(got).toEqual(Array.from(new Int32Array(memory.buffer, labels, n)));
    expect(new Set(got).size).toBe(k);
  });
});

describe('the k-means++ draw walk', () => {
  it('finds, for each ascending target, the row a walk of its own finds, at any row offset, with and without weights', async () => {
    const { instantiateKernels } = await import('../src/kernels/wasm.js');
    const { Scratch } = await import('../src/kernels/shard.js');
    const { walkPotentialShard } = await import('../src/kernels/seedDistances.js');
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64 });
    const mem = { kernels: await instantiateKernels(memory, false), memory };
    const rng = createRandom(9);
    // the last two: values with no short binary form, so float32 sums would part from the float64 walk's
    for (const [rows, row0, weighted, dyadic] of [[1, 0, false, true], [7, 3, true, true], [1000, 0, false, true], [1000, 37, true, true], [4099, 16, false, true], [3000, 5, true, false], [3000, 0, false, false]] as [number, number, boolean, boolean][]) {
      const base = 65536, closestAt = base, weightsAt = base + 4 * (row0 + rows) + 64, scratch = weightsAt + 4 * (row0 + rows) + 64;
      // quarters (or values with no short binary form) and repeats; some rows add nothing
      const value = (scale: number) => (dyadic ? rng.int(scale + 1) / 4 : rng.next() * scale);
      const closest = Float32Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? 0 : value(8)));
      const w = weighted ? Float32Array.from({ length: rows }, () => value(6)) : undefined;
      new Float32Array(memory.buffer, closestAt + 4 * row0, rows).set(closest);
      if (w) new Float32Array(memory.buffer, weightsAt + 4 * row0, rows).set(w);
      const start = 1.5;
      // the running potential after each row, as the walk adds it
      const running = new Float64Array(rows);
      for (let i = 0, acc = start; i < rows; i++) running[i] = acc += w ? w[i] * closest[i] : closest[i];
      const total = running[rows - 1];
      // exact partial sums, fractions of the total, the total itself, beyond it, and below the start
      const targets = [start - 1, start, total / 3, total / 2, total / 2, total - 0.25, total, total + 1];
      for (let i = 0; i < rows; i += Math.max(1, rows >> 3)) targets.push(running[i]);
      targets.sort((a, b) => a - b);
      const buffers = new Map([['closest', { ptr: closestAt, type: 'f32' as const, width: 1 }]]);
      if (w) buffers.set('weights', { ptr: weightsAt, type: 'f32' as const, width: 1 });
      const shard: Shard = { index: 0, start: 0, rows, d: 1, n: rows, dtype: 'f32', mem, x: 0, stride: rows, row0, buffers, scratch: new Scratch(scratch, 1 << 16) };
      const got = Array.from(walkPotentialShard(shard, 'closest', start, Float64Array.from(targets)));
      expect(got).toEqual(targets.map((t) => twin.walkPotentialTwin(closest, w, start, t)));
      expect(got.some((r) => r < 0)).toBe(true);
      expect(got.some((r) => r > 0)).toBe(rows > 1);
    }
  });
});

describe('the drift histogram kernel', () => {
  it('counts each present value in the bucket of its top 11 key bits and sums them in row order, for every length mod 4', async () => {
    const { instantiateKernels } = await import('../src/kernels/wasm.js');
    const { Scratch } = await import('../src/kernels/shard.js');
    const { keyCounter } = await import('../src/kernels/keyCount.js');
    const { sortKey } = await import('../src/metrics/driftOps.js');
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64 });
    const mem = { kernels: await instantiateKernels(memory, false), memory };
    const rng = createRandom(21);
    const bits = new Int32Array(1), value = new Float32Array(bits.buffer);
    for (const [rows, row0] of [[0, 0], [1, 0], [2, 1], [3, 2], [5, 3], [6, 0], [7, 1], [8, 0], [13, 2], [257, 3], [4099, 1]]) {
      const base = 65536, scratchAt = base + Math.ceil((4 * (row0 + rows)) / 64) * 64 + 64;
      // NaN payloads of both signs, zeros of both signs, infinities, runs of one value (one bucket), and any bits
      const col = Int32Array.from({ length: rows }, (_, i) => {
        const r = rng.next();
        if (r < 0.1) return 0x7fc00000 | rng.int(1000);
        if (r < 0.15) return 0xffc00001 | 0;
        if (r < 0.2) return 0x80000000 | 0;
        if (r < 0.25) return 0;
        if (r < 0.28) return 0x7f800000;
        if (r < 0.3) return 0xff800000 | 0;
        if (r < 0.6) { value[0] = 1 + (i % 3); return bits[0]; }
        return (rng.next() * 2 ** 32) | 0;
      });
      new Int32Array(memory.buffer, base + 4 * row0, rows).set(col);
      // the counters hold junk before: the kernel zeroes them
      new Int32Array(memory.buffer, scratchAt, 1 << 14).fill(0x12345);
      const shard: Shard = { index: 0, start: 0, rows, d: 1, n: rows, dtype: 'f32', mem, x: base, stride: rows, row0, buffers: new Map(), scratch: new Scratch(scratchAt, 1 << 16) };
      const got = keyCounter(shard, { bg: new Int32Array(0), sub: new Int32Array(0), counters: 2048 })(0, true);
      const want = new Int32Array(2048);
      let sum = 0;
      for (const b of col) {
        const key = sortKey(b);
        if (key < 0) continue;
        want[key >>> 21]++;
        bits[0] = b;
        sum += value[0];
      }
      expect(Array.from(got.counts)).toEqual(Array.from(want));
      expect(Object.is(got.sum, sum)).toBe(true);
      expect(got.slow.length).toBe(0);
    }
  });

  it('through tables, counts, lists or skips each value as its entry says, for every length mod 4 and across key chunks', async () => {
    const { instantiateKernels } = await import('../src/kernels/wasm.js');
    const { Scratch } = await import('../src/kernels/shard.js');
    const { KEY_BIAS, keyCountBytes, keyCounter } = await import('../src/kernels/keyCount.js');
    const { sortKey } = await import('../src/metrics/driftOps.js');
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 256 });
    const mem = { kernels: await instantiateKernels(memory, false), memory };
    const rng = createRandom(22);
    const bits = new Int32Array(1), value = new Float32Array(bits.buffer);
    // an odd count: the chunk's keys then start at a padded, 16-byte aligned address after the counters
    const counters = 301, SLOW = -1, SKIP = -2;
    let listedSeen = 0, countedSeen = 0, skippedSeen = 0, sumsSeen = 0;
    for (const [rows, row0, nanBlock] of [[0, 0, SKIP], [1, 1, 0], [2, 2, SKIP], [3, 2, SKIP], [5, 3, 0], [6, 1, 0], [8, 0, SKIP], [1023, 1, 0], [1024, 0, SKIP], [1025, 3, 0], [1026, 2, 0], [2051, 2, SKIP], [4099, 1, 0]]) {
      // tables by the kernel's contract: per block its first entry << 5 | log2 keys per entry; entries counted (first
      // counter less the shifted offset of the entry's first key, plus KEY_BIAS, << 5 | shift), listed or skipped
      // blocks without entries of their own share entry 0, a whole block wide
      const bg = new Int32Array(2048).fill(21);
      const sub: number[] = [SKIP];
      const entry = (start: number, size: number): number => {
        const r = rng.next();
        if (r < 0.25) return SLOW;
        if (r < 0.45) return SKIP;
        // a shift that makes the entry at most 256 counters wide
        const sh = r < 0.6 ? 31 : Math.max(0, Math.log2(size) - rng.int(9));
        const span = sh === 31 ? 1 : ((start + size - 1) >>> sh) - (start >>> sh) + 1;
        const first = rng.int(counters - span + 1);
        return (first - (sh === 31 ? 0 : start >>> sh) + KEY_BIAS) * 32 + sh;
      };
      for (let t = 1; t < 2048; t++) {
        if (rng.next() < 0.5 && t !== 1016 && t !== 1020 && t !== 1023 && t !== 1024 && t !== 1025) continue;
        const g = 11 + rng.int(11);
        bg[t] = sub.length * 32 + g;
        for (let e = 0; e < 2 ** (21 - g); e++) sub.push(entry(e << g, 2 ** g));
      }
      // block 0 holds only NaN keys, the key every NaN takes: a skipped entry, or one counted in the last counter
      sub[0] = nanBlock === SKIP ? SKIP : (counters - 1 + KEY_BIAS) * 32 + 31;
      const tables = { bg, sub: Int32Array.from(sub), counters };
      const col = Int32Array.from({ length: rows }, (_, i) => {
        const r = rng.next();
        if (r < 0.08) return 0x7fc00000 | rng.int(1000);
        if (r < 0.12) return 0xffc00001 | rng.int(1 << 20);
        if (r < 0.16) return 0x80000000 | 0;
        if (r < 0.2) return 0;
        if (r < 0.22) return 0x7f800000;
        if (r < 0.24) return 0xff800000 | 0;
        if (r < 0.6) { value[0] = (1 + (i % 3)) * (1 + rng.next() / 8); return bits[0]; }
        return (rng.next() * 2 ** 32) | 0;
      });
      const base = 1 << 20;
      new Int32Array(memory.buffer, base + 4 * row0, rows).set(col);
      const scratchAt = base + Math.ceil((4 * (row0 + rows)) / 64) * 64 + 64, room = keyCountBytes(tables, rows);
      // junk in the whole scratch region before: the kernel zeroes its counters
      new Int32Array(memory.buffer, scratchAt, room >> 2).fill(0x12345);
      const shard: Shard = { index: 0, start: 0, rows, d: 1, n: rows, dtype: 'f32', mem, x: base, stride: rows, row0, buffers: new Map(), scratch: new Scratch(scratchAt, room) };
      const got = keyCounter(shard, tables)(0, false);
      // the twin: a NaN takes key 0, -0 takes +0's key
      const want = new Int32Array(counters), listed: number[] = [];
      col.forEach((b, i) => {
        const key = Math.max(0, sortKey(b));
        const x = bg[key >>> 21], o = key & 0x1fffff;
        const e = sub[(x >> 5) + (o >>> (x & 31))];
        if (e >= 0) { want[(e >> 5) - KEY_BIAS + (o >>> (e & 31))]++; countedSeen++; }
        else if (e === SLOW) listed.push(i);
        else skippedSeen++;
      });
      listedSeen += listed.length;
      expect(Array.from(got.counts)).toEqual(Array.from(want));
      expect(Array.from(got.slow)).toEqual(listed);
      // asked for the sum too: the same counts and rows, and the present values added in row order in float64
      const counts = Array.from(got.counts), slow = Array.from(got.slow);
      shard.scratch.reset();
      const summed = keyCounter(shard, tables)(0, true);
      let sum = 0;
      col.forEach((b) => { bits[0] = b; if (value[0] === value[0]) sum += value[0]; });
      expect(Array.from(summed.counts)).toEqual(counts);
      expect(Array.from(summed.slow)).toEqual(slow);
      expect(summed.sum).toBe(sum);
      if (Number.isFinite(sum) && rows > 0) sumsSeen++;
    }
    expect(sumsSeen).toBeGreaterThan(0);
    expect(listedSeen).toBeGreaterThan(500);
    expect(countedSeen).toBeGreaterThan(500);
    expect(skippedSeen).toBeGreaterThan(500);
  });
});

describe('the extra kernel module', () => {
  it('answers E_EXECUTOR until loaded, loads once per kernel table, then runs over the same memory', async () => {
    const { instantiateKernels, loadExtraKernels } = await import('../src/kernels/wasm.js');
    const { Scratch } = await import('../src/kernels/shard.js');
    const { primSingleShard } = await import('../src/kernels/primSingle.js');
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536 });
    const mem = { kernels: await instantiateKernels(memory, false), memory };
    // points 0, 1, 3 and 7 on a line, float64, one column of stride 8
    const x = 1024, stride = 8;
    new Float64Array(memory.buffer, x, stride).set([0, 1, 3, 7]);
    const shard = (): Shard => ({ index: 0, start: 0, rows: 4, d: 1, n: 4, dtype: 'f64', mem, x, stride, row0: 0,
      all: { x, stride, rows: 4 }, buffers: new Map(), scratch: new Scratch(4096, 1 << 16) });
    expect(() => primSingleShard(shard())).toThrow(expect.objectContaining({ code: 'E_EXECUTOR', message: expect.stringContaining('"primSingle" is in the extra module') }));
    const first = loadExtraKernels(mem);
    expect(loadExtraKernels(mem)).toBe(first);
    await first;
    // Prim's chain from point 0: (0, 1) at 1, (1, 2) at 2, (2, 3) at 4
    expect(Array.from(primSingleShard(shard()))).toEqual([0, 1, 1, 1, 2, 2, 2, 3, 4]);
    // the core kernels of the same table still run: labelDistances of the points (now float32) to one centre at 2.75
    const xf = 2048, labels = 2112, cent = 2176, out = 2240;
    new Float32Array(memory.buffer, xf, 4).set([0, 1, 3, 7]);
    new Int32Array(memory.buffer, labels, 4).fill(0);
    new Float64Array(memory.buffer, cent, 1)[0] = 2.75;
    new Float64Array(memory.buffer, out, 2).fill(0);
    mem.kernels.labelDistances(xf, 4, 1, 0, 4, cent, 1, labels, 0, out);
    expect(Array.from(new Float64Array(memory.buffer, out, 2))).toEqual([2.75 ** 2 + 1.75 ** 2 + 0.25 ** 2 + 4.25 ** 2, 2.75 + 1.75 + 0.25 + 4.25]);
  });

  it('exports exactly the kernels the loader copies', async () => {
    const { EXTRA_KERNELS, kernelBinary } = await import('../src/kernels/wasm.js');
    const extra = await import('../src/kernels/wasmExtraBytes.generated.js');
    const names = WebAssembly.Module.exports(new WebAssembly.Module(kernelBinary(false, extra))).filter((e) => e.kind === 'function').map((e) => e.name);
    expect(names.sort()).toEqual([...EXTRA_KERNELS].sort());
  });
});
