import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { close, fromColumns, createRandom, SegkitError } from '../src/index.node.js';
import { silhouetteSamples, silhouetteSamplesWithin, sampleRows } from '../src/metrics/silhouetteSamples.js';
import { blockClusters, blockRows, silhouettePairsScratch, silhouettePartner, waveClusters } from '../src/kernels/silhouetteSums.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { silhouetteScore } from '../src/metrics/silhouetteScore.js';
import { simplifiedSilhouetteScore } from '../src/metrics/simplifiedSilhouetteScore.js';
import { calinskiHarabaszScore } from '../src/metrics/calinskiHarabaszScore.js';
import { daviesBouldinScore } from '../src/metrics/daviesBouldinScore.js';
import { inertia } from '../src/metrics/inertia.js';
import { clusterStats } from '../src/metrics/clusterStats.js';
import { kmeans } from '../src/core/kmeans.js';
import { chooseK } from '../src/workflow/chooseK.js';
import { FIXTURES, fixture, relErr, bytes } from './helpers.js';
import { silhouetteSumsTwin } from './twins/kernels.js';

afterAll(close);

describe.each(FIXTURES)('internal metrics match scikit-learn on %s', (name) => {
  const fx = fixture(name);
  const ref = fx.metrics_on_kmeans_labels;
  it.each([1, 2])('with %i thread(s)', async (threads) => {
    expect(relErr(await silhouetteScore(fx.X, fx.kmeans.labels, { threads }), ref.silhouette)).toBeLessThan(1e-4);
    const s = await silhouetteSamples(fx.X, fx.kmeans.labels, { threads });
    expect(s).toHaveLength(fx.X.length);
    ref.silhouette_samples_first100.forEach((v, i) => expect(Math.abs(s[i] - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
    expect(relErr(await calinskiHarabaszScore(fx.X, fx.kmeans.labels, { threads }), ref.calinski_harabasz)).toBeLessThan(1e-6);
    expect(relErr(await daviesBouldinScore(fx.X, fx.kmeans.labels, { threads }), ref.davies_bouldin)).toBeLessThan(1e-6);
    expect(relErr(await inertia(fx.X, fx.kmeans.labels, { threads }), fx.kmeans.inertia)).toBeLessThan(1e-6);
  });
});

function randomLabelled(n: number, d: number, k: number, seed: number) {
  const rng = createRandom(seed);
  const columns = Array.from({ length: d }, () => Float32Array.from({ length: n }, () => rng.normal() * 3));
  const labels = Int32Array.from({ length: n }, () => rng.int(k));
  return { ds: fromColumns({ columns }), labels };
}

describe('silhouette kernel', () => {
  it.each([[9, 1, 2], [23, 3, 3], [61, 5, 4], [130, 17, 5], [1500, 2, 7]])('matches the scalar twin: n=%i d=%i k=%i', async (n, d, k) => {
    const { ds, labels } = randomLabelled(n, d, k, n + d);
    labels[0] = k - 1; // make a singleton-prone cluster id appear
    const want = twinSilhouette(ds.columns as Float32Array[], labels, k);
    const got = await silhouetteSamples(ds, labels, { threads: 1 });
    expect(got).toHaveLength(n);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it('singleton clusters score 0 and the result is byte-identical on 1 and 2 threads', async () => {
    const { ds, labels } = randomLabelled(3_001, 6, 4, 8);
    labels[17] = 4; // a singleton cluster
    const a = await silhouetteSamples(ds, labels, { threads: 1 });
    const b = await silhouetteSamples(ds, labels, { threads: 2 });
    expect(a[17]).toBe(0);
    expect(bytes(a).equals(bytes(b))).toBe(true);
  });

  it('the sampled score uses a seeded subset and is close to the exact one on large data', async () => {
    const { ds, labels } = randomLabelled(6_000, 3, 3, 2);
    for (let i = 0; i < ds.n; i++) ds.columns[0][i] += labels[i] * 6; // separate the clusters along x0
    const exact = await silhouetteScore(ds, labels);
    const s1 = await silhouetteScore(ds, labels, { sampleSize: 1500, seed: 3 });
    const s2 = await silhouetteScore(ds, labels, { sampleSize: 1500, seed: 3 });
    expect(s1).toBe(s2);
    expect(Math.abs(s1 - exact)).toBeLessThan(0.03);
    const rows = sampleRows(100, 30, 1);
    expect(new Set(rows).size).toBe(30);
    expect(Math.max(...rows)).toBeLessThan(100);
  });

  it('the simplified silhouette ranks a clean split above a random one', async () => {
    const { ds, labels } = randomLabelled(2_000, 2, 2, 4);
    for (let i = 0; i < ds.n; i++) ds.columns[0][i] += labels[i] * 20;
    const random = Int32Array.from(labels, (_, i) => i % 2);
    const good = await simplifiedSilhouetteScore(ds, labels);
    expect(good).toBeGreaterThan(0.7);
    expect(await simplifiedSilhouetteScore(ds, random)).toBeLessThan(0.1);
    expect(Math.abs(good - (await silhouetteScore(ds, labels)))).toBeLessThan(0.15);
  });
});

describe('the simplified silhouette of a single-row cluster', () => {
  it('scores 0, as scikit-learn\'s silhouette_samples does for such a row, not 1 (a = 0 to its own centre)', async () => {
    const X = [[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [50, 50]];
    const labels = [0, 0, 0, 1, 1, 2];
    // numpy: mean over rows of (b - a) / max(a, b) to the cluster means, 0 for the row alone in cluster 2
    const want = 0.7980410030934338;
    for (const threads of [1, 2]) expect(Math.abs((await simplifiedSilhouetteScore(X, labels, { threads })) - want)).toBeLessThan(1e-6);
    expect((await silhouetteSamples(X, labels))[5]).toBe(0);
  });
});

describe('metric errors', () => {
  const rows = [[1, 2], [3, 4], [5, 6], [7, 8]];
  const code = async (p: Promise<unknown>) => { try { await p; } catch (e) { return (e as SegkitError).code; } return 'no error'; };
  it('one cluster, one label per row missing, non-integer labels', async () => {
    expect(await code(silhouetteScore(rows, [0, 0, 0, 0]))).toBe('E_BAD_LABELS');
    expect(await code(calinskiHarabaszScore(rows, [0, 1, 2, 3]))).toBe('E_BAD_LABELS');
    expect(await code(daviesBouldinScore(rows, [0, 1, 0]))).toBe('E_SHAPE_MISMATCH');
    expect(await code(silhouetteScore(rows, [0, 1, 0.5, 1]))).toBe('E_BAD_LABELS');
    expect(await code(silhouetteScore(rows, [0, 1, 0, 1], { sampleSize: 1 }))).toBe('E_BAD_OPTION');
  });

  it('a sampled silhouette checks every label, not only those of the sampled rows', async () => {
    const X = Array.from({ length: 200 }, (_, i) => [i % 2 + (i % 7) * 0.01, (i % 5) * 0.1]);
    const good = X.map((_, i) => i % 2);
    const s = await silhouetteScore(X, good, { sampleSize: 20, seed: 1 });
    expect(s).toBeGreaterThan(0.8);
    // row 199 is not among the 20 sampled rows of seed 1: its label was never looked at, and the score came back as s
    expect(sampleRows(200, 20, 1)).not.toContain(199);
    for (const bad of [NaN, 0.5, Infinity, '1', null, undefined]) {
      const labels: unknown[] = [...good];
      labels[199] = bad;
      expect(await code(silhouetteScore(X, labels as number[], { sampleSize: 20, seed: 1 }))).toBe('E_BAD_LABELS');
    }
    expect(await code(silhouetteScore(X, good.slice(1), { sampleSize: 20, seed: 1 }))).toBe('E_SHAPE_MISMATCH');
  });
});

describe('inertia and clusterStats of one cluster, or of a row each', () => {
  it('are defined (the total sum of squares, as k-means\' k = 1 inertia; 0), where the comparisons refuse them', async () => {
    const rows = [[0, 0], [1, 1], [2, 2], [3, 5]];
    // numpy: ((X - X.mean(0)) ** 2).sum() = 5 + 14
    for (const threads of [1, 2]) {
      expect(await inertia(rows, [7, 7, 7, 7], { threads })).toBe(19);
      expect(await inertia(rows, [0, 1, 2, 3], { threads })).toBe(0);
      const s = await clusterStats(rows, [-1, -1, -1, -1], { threads });
      expect({ k: s.k, counts: Array.from(s.counts), centroids: Array.from(s.centroids), sumSq: Array.from(s.sumSq) }).toEqual({ k: 1, counts: [4], centroids: [1.5, 2], sumSq: [19] });
    }
    expect(await inertia(rows, (await kmeans(rows, { k: 1, seed: 1 })).labels)).toBe(19);
    for (const one of [calinskiHarabaszScore, daviesBouldinScore, silhouetteScore]) {
      await expect(one(rows, [0, 0, 0, 0])).rejects.toMatchObject({ code: 'E_BAD_LABELS' });
    }
  });
});

describe('chooseK', () => {
  it('recommends the number of blob centres, with strong evidence', async () => {
    const rng = createRandom(5);
    const centres = [[0, 0, 0], [8, 0, 0], [0, 8, 0], [0, 0, 8]];
    const n = 2_000;
    const columns = Array.from({ length: 3 }, () => new Float32Array(n));
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) columns[j][i] = centres[i % 4][j] + rng.normal();
    const progress: number[] = [];
    const r = await chooseK(fromColumns({ columns }), { kRange: [2, 8], seed: 1, onProgress: (p) => progress.push(p.k) });
    expect(progress).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(r.table.map((t) => t.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(r.recommendedK).toBe(4);
    expect(r.silhouetteK).toBe(4);
    expect(r.evidence).toBe('strong');
    expect(r.reason).toMatch(/k = 4/);
    // inertia falls with k; the table's metrics agree with the standalone functions
    for (let i = 1; i < r.table.length; i++) expect(r.table[i].inertia).toBeLessThan(r.table[i - 1].inertia);
  });

  it('on data with no structure says the evidence is weak', async () => {
    const rng = createRandom(6);
    const columns = Array.from({ length: 8 }, () => Float32Array.from({ length: 3_000 }, () => rng.normal()));
    const r = await chooseK(fromColumns({ columns }), { kRange: [2, 6], seed: 1 });
    expect(r.evidence).toBe('weak');
    expect(r.reason).toMatch(/weak/);
  });

  it('checks kRange before expanding it', async () => {
    const { ds } = randomLabelled(50, 2, 2, 1);
    await expect(chooseK(ds, { kRange: [2, Infinity] })).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
    await expect(chooseK(ds, { kRange: [1, 4] })).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
    const r = await chooseK(ds, { kRange: [45, 1e9], threads: 1 });
    expect(r.table.map((t) => t.k)).toEqual([45, 46, 47, 48, 49]);
  });

  it('a sampled silhouette whose sample misses a small segment is not defined (NaN), and the sweep goes on', async () => {
    // one far outlier: k-means at k = 2 puts it alone, and the seeded 10-row sample of the 30 rows misses it
    const X = Array.from({ length: 30 }, (_, i) => (i === 0 ? [100, 100] : [((i * 37) % 11) / 10, ((i * 17) % 7) / 10]));
    const r = await chooseK(X, { kRange: [2, 3], silhouetteSampleSize: 10, seed: 0, stabilityResamples: 0, keepModels: true });
    expect(Array.from(sampleRows(30, 10, 0)).some((i) => r.models!.get(2)!.labels[i] !== r.models!.get(2)!.labels[1])).toBe(false);
    expect(r.table[0].silhouette).toBeNaN();
    expect(r.table[1].silhouette).toBe(await silhouetteScore(X, r.models!.get(3)!.labels, { sampleSize: 10, seed: 0 }));
    expect(r.silhouetteK).toBe(3);
    expect(r.recommendedK).toBe(3);
  });

  it('a sweep whose every sample holds one segment has no best silhouette, and its evidence is weak, never moderate', async () => {
    // three far customers, none of them in the seeded 10-row sample: k = 2 puts them apart, a stable split no sample scores
    const inSample = new Set(sampleRows(30, 10, 0));
    const far = Array.from({ length: 30 }, (_, i) => i).filter((i) => !inSample.has(i)).slice(0, 3);
    const X = Array.from({ length: 30 }, (_, i) => (far.includes(i) ? [100 + i / 10, 100] : [((i * 37) % 11) / 10, ((i * 17) % 7) / 10]));
    const stable = await chooseK(X, { kRange: [2], silhouetteSampleSize: 10, seed: 0, keepModels: true });
    expect(far.every((i) => stable.models!.get(2)!.labels[i] !== stable.models!.get(2)!.labels[inSample.values().next().value!])).toBe(true);
    expect(stable.table[0].silhouette).toBeNaN();
    expect(stable.table[0].stability).toBe(1);
    expect(stable.silhouetteK).toBeNaN();
    expect(stable.recommendedK).toBe(2);
    expect(stable.evidence).toBe('weak');
    expect(stable.reason).toContain('none has a sampled (10 rows) silhouette');
    expect(stable.reason).not.toContain('NaN');
    const plain = await chooseK(X, { kRange: [2], silhouetteSampleSize: 10, seed: 0, stabilityResamples: 0 });
    expect(plain.silhouetteK).toBeNaN();
    expect(plain.recommendedK).toBe(2);
    expect(plain.evidence).toBe('weak');
    expect(plain.reason).toMatch(/^No k has a sampled \(10 rows\) silhouette/);
    expect(plain.reason).not.toContain('NaN');
  });

  it('caps a range at the distinct rows, as at n - 1, and refuses a listed k above them naming kRange', async () => {
    const X = Array.from({ length: 30 }, (_, i) => [i % 3, (i % 3) * 2]);
    for (const algorithm of ['kmeans', 'gmm'] as const) {
      const r = await chooseK(X, { kRange: [2, 5], algorithm, ...(algorithm === 'gmm' ? { covarianceType: 'spherical' as const } : {}) });
      expect(r.table.map((t) => t.k)).toEqual([2, 3]);
      expect(r.recommendedK).toBe(3);
    }
    expect((await chooseK(X, { stabilityResamples: 0 })).table.map((t) => t.k)).toEqual([2, 3]);
    await expect(chooseK(X, { kRange: [2, 4, 6] })).rejects.toMatchObject({ code: 'E_TOO_FEW_DISTINCT', message: expect.stringMatching(/"kRange".*k = 4.*3 distinct/) });
  });

  it('can be cancelled', async () => {
    const ac = new AbortController();
    const { ds } = randomLabelled(5_000, 4, 2, 1);
    const p = chooseK(ds, { kRange: [2, 10], signal: ac.signal, onProgress: () => ac.abort() });
    await expect(p).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});

describe('silhouette in pairs of blocks', () => {
  it('pairs every two blocks once and each block with itself, each offset giving each block at most one partner', () => {
    for (let blocks = 1; blocks <= 9; blocks++) {
      const seen = new Map<string, number>();
      const perBlock = new Array(blocks).fill(0);
      for (let t = 0; t <= Math.floor(blocks / 2); t++) {
        for (let i = 0; i < blocks; i++) {
          const j = silhouettePartner(i, t, blocks);
          if (j < 0) continue;
          expect(j).toBeLessThan(blocks);
          const key = `${Math.min(i, j)}:${Math.max(i, j)}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          perBlock[i]++;
        }
      }
      expect(seen.size, `${blocks} blocks`).toBe((blocks * (blocks + 1)) / 2);
      for (const count of seen.values()) expect(count).toBe(1);
      // the work is spread evenly: every block computes the same number of pairs, give or take one
      expect(Math.max(...perBlock) - Math.min(...perBlock)).toBeLessThanOrEqual(1);
    }
  });

  it.each([600, 2_600, 3_100])('%i rows: the scalar twin, in one wave and in one offset a wave, the same bytes on every executor', async (n) => {
    const k = 5;
    const { ds, labels } = randomLabelled(n, 6, k, n);
    // clusters of unequal sizes, one of them a single row, so blocks span several clusters and segments end unaligned
    for (let i = 0; i < n; i++) labels[i] = i % 7 === 0 ? 0 : i % 3 === 0 ? 1 : labels[i] === 4 ? 3 : labels[i];
    labels[n - 1] = 4;
    const want = twinSilhouette(ds.columns as Float32Array[], labels, k);
    const one = await silhouetteSamplesWithin(ds, labels, { threads: 1 }, Infinity);
    expectNear(one, want);
    expect(one[n - 1]).toBe(0);
    const waves = await silhouetteSamplesWithin(ds, labels, { threads: 2 }, 0);
    expectNear(waves, want);
    const executor = inlineExecutor();
    try {
      for (const options of [{ threads: 2 }, { threads: 1 }, { executor }]) {
        expect(bytesOf(await silhouetteSamplesWithin(ds, labels, options, Infinity))).toBe(bytesOf(one));
        expect(bytesOf(await silhouetteSamplesWithin(ds, labels, options, 0))).toBe(bytesOf(waves));
      }
    } finally {
      await executor.close();
    }
  });

  it('the kernel reads no padding row and writes nothing past its sums', async () => {
    // clusters of 5, 6 and 3 rows in segments starting at multiples of 4 (20 stored rows); padding rows hold NaN
    const d = 3, k = 3, stride = 20;
    const label = (r: number) => (r < 5 ? 0 : r >= 8 && r < 14 ? 1 : r >= 16 && r < 19 ? 2 : -1);
    const { memory, kernels, dist, X, SEG, A, B, ACC } = await pairsLayout(d, [0, 8, 16, 5, 14, 19], label, 9, 2);
    // A = rows [0, 12) (clusters 0 and 1), B = rows [12, 20) (clusters 1 and 2)
    const outA = new Float64Array(memory.buffer, A, 12 * k + 8).fill(0), outB = new Float64Array(memory.buffer, B, 8 * 2 + 8).fill(0);
    outA.fill(-7, 12 * k);
    outB.fill(-7, 16);
    kernels.silhouettePairs(X, stride, d, 0, 12, 12, 20, SEG, SEG + 4 * k, k, 0, 2, A, B, ACC);
    expect(Array.from(outA.subarray(12 * k))).toEqual(new Array(8).fill(-7));
    expect(Array.from(outB.subarray(16))).toEqual(new Array(8).fill(-7));
    for (let a = 0; a < 12; a++) {
      for (let c = 0; c < k; c++) {
        let want = 0;
        for (let b = 12; b < 20; b++) if (label(a) >= 0 && label(b) === c) want += dist(a, b);
        if (label(a) >= 0) expect(outA[a * k + c], `A row ${a}, cluster ${c}`).toBeCloseTo(want, 4);
      }
    }
    for (let b = 12; b < 20; b++) {
      for (let c = 0; c < 2; c++) {
        let want = 0;
        for (let a = 0; a < 12; a++) if (label(a) === c && label(b) >= 0) want += dist(a, b);
        if (label(b) >= 0) expect(outB[(b - 12) * 2 + c], `B row ${b}, cluster ${c}`).toBeCloseTo(want, 4);
      }
    }
    expect(Math.min(...outB.subarray(0, 4))).toBeGreaterThan(0);
  });

  it('a block paired with itself (no partner sums) adds every distance once to its own rows and writes nothing else', async () => {
    // clusters of 2, 7 and 4 rows in segments starting at multiples of 4 (20 stored rows); padding rows hold NaN
    const d = 5, k = 3, stride = 20;
    const label = (r: number) => (r < 2 ? 0 : r >= 4 && r < 11 ? 1 : r >= 12 && r < 16 ? 2 : -1);
    const { memory, kernels, dist, X, SEG, A, ACC } = await pairsLayout(d, [0, 4, 12, 2, 11, 16], label, 11, 3);
    const outA = new Float64Array(memory.buffer, A, stride * k + 8).fill(0);
    outA.fill(-7, stride * k);
    // the scratch of partner sums is left alone
    const acc = new Float32Array(memory.buffer, ACC, 4 * k * stride).fill(-7);
    kernels.silhouettePairs(X, stride, d, 0, stride, 0, stride, SEG, SEG + 4 * k, k, 0, k, A, 0, ACC);
    expect(Array.from(outA.subarray(stride * k))).toEqual(new Array(8).fill(-7));
    expect(acc.every((v) => v === -7)).toBe(true);
    for (let a = 0; a < stride; a++) {
      for (let c = 0; c < k; c++) {
        let want = 0;
        for (let b = 0; b < stride; b++) if (label(a) >= 0 && label(b) === c) want += dist(a, b);
        if (label(a) >= 0) expect(outA[a * k + c], `row ${a}, cluster ${c}`).toBeCloseTo(want, 4);
        // a padding row's sums are not read afterwards: not checked
      }
    }
  });
});

/**
 * A memory with both kernel modules and 20 stored rows of d features for the pairs kernel: three clusters in the
 * segments `seg` (k starts, then k ends), values rng.normal() * spread, NaN in the padding rows (label -1); the
 * addresses of the rows, the segments, two sums regions (A, B: 20 rows x 3 clusters and 8 guard values each) and
 * the kernel's scratch, and each pair's float64 distance.
 */
async function pairsLayout(d: number, seg: number[], label: (r: number) => number, seed: number, spread: number) {
  const { instantiateKernels, loadExtraKernels } = await import('../src/kernels/wasm.js');
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
  const kernels = await instantiateKernels(memory, false);
  await loadExtraKernels({ kernels, memory });
  const k = 3, stride = 20;
  const rng = createRandom(seed);
  const X = 1024, SEG = X + 4 * stride * d, A = SEG + 64, B = A + 8 * (stride * k + 8), ACC = B + 8 * (stride * k + 8);
  const x = new Float32Array(memory.buffer, X, stride * d);
  for (let j = 0; j < d; j++) for (let r = 0; r < stride; r++) x[j * stride + r] = label(r) < 0 ? NaN : rng.normal() * spread;
  new Int32Array(memory.buffer, SEG, 2 * k).set(seg);
  const dist = (a: number, b: number) => Math.sqrt(Array.from({ length: d }, (_, j) => (x[j * stride + a] - x[j * stride + b]) ** 2).reduce((s, v) => s + v, 0));
  return { memory, kernels, x, dist, X, SEG, A, B, ACC };
}

/** The exact silhouette from the scalar twin's distance sums. */
function twinSilhouette(columns: Float32Array[], labels: Int32Array, k: number): number[] {
  const n = labels.length;
  const sums = silhouetteSumsTwin(columns, n, labels, k);
  const counts = new Array(k).fill(0);
  labels.forEach((l) => counts[l]++);
  return Array.from({ length: n }, (_, i) => {
    const c = labels[i];
    if (counts[c] <= 1) return 0;
    const a = sums[i * k + c] / (counts[c] - 1);
    let b = Infinity;
    for (let o = 0; o < k; o++) if (o !== c && counts[o] > 0) b = Math.min(b, sums[i * k + o] / counts[o]);
    return (b - a) / Math.max(a, b);
  });
}

function expectNear(values: Float64Array, want: number[]): void {
  expect(values).toHaveLength(want.length);
  values.forEach((v, i) => expect(Math.abs(v - want[i]), `row ${i}`).toBeLessThan(1e-5));
}

function bytesOf(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

describe('the exact silhouette with hundreds of small clusters', () => {
  // scikit-learn's silhouette_samples of 2,600 rows in 651 clusters of 1 to 7 rows (test/fixtures/generate.py)
  const fx = JSON.parse(readFileSync(new URL('./fixtures/silhouette-many-clusters.json', import.meta.url), 'utf8'));
  const labels = Int32Array.from(fx.labels as number[]);

  it('matches scikit-learn, with the same bytes in one wave or in waves of one offset, on every executor', async () => {
    const one = await silhouetteSamplesWithin(fx.X, labels, { threads: 1 }, Infinity);
    expectNear(one, fx.samples);
    expect(relErr(one.reduce((a, b) => a + b, 0) / one.length, fx.score)).toBeLessThan(1e-6);
    const waves = await silhouetteSamplesWithin(fx.X, labels, { threads: 1 }, 0);
    expectNear(waves, fx.samples);
    const executor = inlineExecutor();
    try {
      for (const options of [{ threads: 2 }, { executor }]) {
        expect(bytesOf(await silhouetteSamplesWithin(fx.X, labels, options, Infinity))).toBe(bytesOf(one));
        expect(bytesOf(await silhouetteSamplesWithin(fx.X, labels, options, 0))).toBe(bytesOf(waves));
      }
    } finally {
      await executor.close();
    }
  });

  it('a block returns and merges its rows\' sums over its own and its partners\' clusters, not over every cluster', () => {
    // the grouped layout silhouetteSamples builds: clusters in ascending id order, each segment starting at a multiple of 4
    const ids = [...new Set(fx.labels as number[])].sort((a, b) => a - b);
    const k = ids.length, block = 512;
    const counts = new Map<number, number>();
    for (const l of fx.labels as number[]) counts.set(l, (counts.get(l) ?? 0) + 1);
    const seg = new Int32Array(2 * k);
    let rows = 0;
    ids.forEach((id, c) => {
      seg[c] = rows;
      seg[k + c] = rows + counts.get(id)!;
      rows += Math.ceil(counts.get(id)! / 4) * 4;
    });
    const blocks = Math.ceil(rows / block);
    const range = (r0: number, r1: number) => {
      const { c0, w } = blockClusters(seg, k, r0, r1);
      return Array.from({ length: w }, (_, q) => c0 + q);
    };
    let widest = 0;
    for (let i = 0; i < blocks; i++) {
      const own = range(i * block, i * block + blockRows(i, block, rows));
      widest = Math.max(widest, own.length);
      for (let t = 0; t <= Math.floor(blocks / 2); t++) {
        const j = silhouettePartner(i, t, blocks);
        const partner = j < 0 || t === 0 ? [] : range(j * block, j * block + blockRows(j, block, rows));
        const want = [...own, ...partner.filter((c) => !own.includes(c))];
        expect(Array.from(waveClusters(seg, k, block, rows, i, t, t + 1))).toEqual(want);
      }
    }
    expect(widest).toBeGreaterThan(50);
    // a wave of one offset: scratch for the own rows by the two blocks' clusters (at most block / 4 + 1 each), below
    // the block's rows x k sums alone
    const w = block / 4 + 1;
    expect(widest).toBeLessThanOrEqual(w);
    const scratch = silhouettePairsScratch({ seg, k, block, t0: 1, t1: 2 }, block);
    expect(scratch).toBe(8 * block * 2 * w + 8 * block * w + 4 * w * block + 16 * w + 256);
    expect(scratch).toBeLessThan(8 * block * k);
  });
});

describe('the exact silhouette with clusters of one to three rows', () => {
  // scikit-learn's silhouette_samples of 3,000 rows in 1,500 clusters (test/fixtures/generate.py): the blocked kernel
  // would hold 6,000 padded rows x 1,500 clusters of sums (72 MB) and pair 4-row tiles; each row's distances are
  // summed alone, in float64 as scikit-learn sums them
  const fx = JSON.parse(readFileSync(new URL('./fixtures/silhouette-pairs.json', import.meta.url), 'utf8'));

  it('matches scikit-learn to the last digits, with the same bytes on every executor', async () => {
    const one = await silhouetteSamples(fx.X, fx.labels, { threads: 1 });
    expect(one).toHaveLength(3000);
    one.forEach((v, i) => expect(Math.abs(v - fx.samples[i]), `row ${i}`).toBeLessThan(1e-13));
    expect(relErr(await silhouetteScore(fx.X, fx.labels, { threads: 1 }), fx.score)).toBeLessThan(1e-13);
    // singletons score 0
    const sizes = new Map<number, number>();
    for (const l of fx.labels as number[]) sizes.set(l, (sizes.get(l) ?? 0) + 1);
    (fx.labels as number[]).forEach((l, i) => { if (sizes.get(l) === 1) expect(one[i]).toBe(0); });
    const executor = inlineExecutor();
    try {
      for (const options of [{ threads: 2 }, { executor }]) expect(bytesOf(await silhouetteSamples(fx.X, fx.labels, options))).toBe(bytesOf(one));
    } finally {
      await executor.close();
    }
  });

  it('an abort during the sums ends it with E_ABORTED', async () => {
    const ac = new AbortController();
    const run = silhouetteSamples(fx.X, fx.labels, { threads: 1, signal: ac.signal });
    setTimeout(() => ac.abort(), 0);
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
