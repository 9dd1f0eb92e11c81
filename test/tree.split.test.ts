// The split search keeps each side's sum of squared class counts as counts move left when classes are unweighted:
// the same proxies, bit for bit, as summing over the classes at every threshold (the scalar twin below).
import { describe, expect, it } from 'vitest';
import { scanFeature, type Split } from '../src/core/treeSplit.js';
import { createRandom } from '../src/index.js';

/** scikit-learn's Gini proxy at every threshold, summed over the classes each time; the first best kept. */
function twin(C: number, cw: Float64Array, minLeaf: number, counts: Float64Array, m: number, totals: Float64Array, ids: Int32Array) {
  let N = 0;
  for (let c = 0; c < C; c++) N += totals[c];
  const L = new Float64Array(C);
  let nl = 0, bestQ = -1, bestProxy = -Infinity;
  for (let q = 0; q < m; q++) {
    if (q > 0 && nl >= minLeaf && N - nl >= minLeaf) {
      let wl = 0, wr = 0, sql = 0, sqr = 0;
      for (let c = 0; c < C; c++) {
        const a = L[c] * cw[c], b = (totals[c] - L[c]) * cw[c];
        wl += a; wr += b; sql += a * a; sqr += b * b;
      }
      const proxy = -wr * (1 - sqr / (wr * wr)) - wl * (1 - sql / (wl * wl));
      if (bestQ < 0 || proxy > bestProxy) { bestProxy = proxy; bestQ = q; }
    }
    for (let c = 0; c < C; c++) { L[c] += counts[q * C + c]; nl += counts[q * C + c]; }
  }
  return bestQ < 0 ? null : { binLeft: ids[bestQ - 1], binRight: ids[bestQ], proxy: bestProxy };
}

describe('split search', () => {
  it('equals the per-threshold sums on random integer histograms (bootstrap weights, minSamplesLeaf, ties)', () => {
    const rng = createRandom(11);
    let splits = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const C = 1 + rng.int(9), m = 2 + rng.int(trial % 3 === 0 ? 6 : 200);
      const counts = new Float64Array(m * C), totals = new Float64Array(C);
      const ids = Int32Array.from({ length: m }, (_, q) => q * 2 + (trial % 2));
      for (let q = 0; q < m; q++) {
        // sparse bins, as small nodes have them, and a few heavy ones; weights up to 6 as Poisson(1) draws give
        const c0 = rng.int(C);
        counts[q * C + c0] = 1 + rng.int(6);
        if (rng.next() < 0.3) counts[q * C + rng.int(C)] += rng.int(trial % 5 === 0 ? 2000 : 4);
      }
      for (let q = 0; q < m; q++) for (let c = 0; c < C; c++) totals[c] += counts[q * C + c];
      const minLeaf = 1 + rng.int(trial % 4 === 0 ? 20 : 2);
      const cw = new Float64Array(C).fill(1);
      const got = scanFeature({ C, classWeight: cw, minSamplesLeaf: minLeaf }, 3, ids, counts, m, totals, null, new Float64Array(C));
      const want = twin(C, cw, minLeaf, counts, m, totals, ids);
      if (want === null) {
        expect(got).toBeNull();
        continue;
      }
      splits++;
      const s = got as Split;
      expect([s.binLeft, s.binRight]).toEqual([want.binLeft, want.binRight]);
      expect(Object.is(s.proxy, want.proxy)).toBe(true);
      const left = new Float64Array(C);
      for (let q = 0; q < m && ids[q] <= s.binLeft; q++) for (let c = 0; c < C; c++) left[c] += counts[q * C + c];
      expect(Array.from(s.left)).toEqual(Array.from(left));
    }
    expect(splits).toBeGreaterThan(2000);
  });

  it('reads counts in place by bin id, over the classes present only, with the same result', () => {
    const rng = createRandom(13);
    let splits = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const C = 2 + rng.int(8), m = 2 + rng.int(60);
      // m distinct bins out of 256, ascending; some classes absent from the node
      const bins = new Set<number>();
      while (bins.size < m) bins.add(rng.int(256));
      const ids = Int32Array.from([...bins].sort((a, b) => a - b));
      const absent = new Set(Array.from({ length: rng.int(C - 1) }, () => rng.int(C)));
      const classes = Array.from({ length: C }, (_, c) => c).filter((c) => !absent.has(c));
      const compact = new Float64Array(m * C), byBin = new Float64Array(256 * C), totals = new Float64Array(C);
      for (let q = 0; q < m; q++) {
        const c = classes[rng.int(classes.length)], v = 1 + rng.int(5);
        compact[q * C + c] += v;
        byBin[ids[q] * C + c] += v;
        totals[c] += v;
      }
      const present = Int32Array.from(classes.filter((c) => totals[c] > 0));
      const cw = new Float64Array(C).fill(1);
      const p = { C, classWeight: cw, minSamplesLeaf: 1 + rng.int(3) };
      const got = scanFeature(p, 1, ids, byBin, m, totals, null, new Float64Array(C), present, true);
      const want = twin(C, cw, p.minSamplesLeaf, compact, m, totals, ids);
      if (want === null) {
        expect(got).toBeNull();
        continue;
      }
      splits++;
      expect([got!.binLeft, got!.binRight]).toEqual([want.binLeft, want.binRight]);
      expect(Object.is(got!.proxy, want.proxy)).toBe(true);
      const compactScan = scanFeature(p, 1, ids, compact, m, totals, null, new Float64Array(C), present);
      expect(Array.from(got!.left)).toEqual(Array.from(compactScan!.left));
    }
    expect(splits).toBeGreaterThan(0);
  });

  it('weighted classes take the per-threshold sums (the same twin with class weights)', () => {
    const rng = createRandom(12);
    for (let trial = 0; trial < 500; trial++) {
      const C = 2 + rng.int(5), m = 2 + rng.int(50);
      const counts = new Float64Array(m * C), totals = new Float64Array(C);
      const ids = Int32Array.from({ length: m }, (_, q) => q);
      for (let q = 0; q < m; q++) counts[q * C + rng.int(C)] = 1 + rng.int(3);
      for (let q = 0; q < m; q++) for (let c = 0; c < C; c++) totals[c] += counts[q * C + c];
      const cw = Float64Array.from({ length: C }, () => 0.25 + 2 * rng.next());
      const got = scanFeature({ C, classWeight: cw, minSamplesLeaf: 1 }, 0, ids, counts, m, totals, null, new Float64Array(C));
      const want = twin(C, cw, 1, counts, m, totals, ids)!;
      expect([got!.binLeft, got!.binRight]).toEqual([want.binLeft, want.binRight]);
      expect(Object.is(got!.proxy, want.proxy)).toBe(true);
    }
  });
});
