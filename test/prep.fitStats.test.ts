import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Imputer } from '../src/prep/imputer.js';
import { Outliers } from '../src/prep/outliers.js';
import { Scaler } from '../src/prep/scaler.js';
import { col, frame } from './helpers/prepFrames.js';
import { mergeMoments, populationVariance, stat } from '../src/prep/fitStats.js';
import { extent, medianSorted, modeSorted, moments, partialMoments, quantileSorted, sortedPresent } from './twins/stats.js';

describe('fitStats', () => {
  it("quantiles follow numpy's default linear method", () => {
    // a = np.array([7.0, 1.0, 3.5, 2.0, 10.0, 4.25, 8.0])
    // np.percentile(a, [0, 10, 25, 33, 50, 66.6, 75, 90, 100])
    const sorted = sortedPresent([7.0, 1.0, NaN, 3.5, 2.0, 10.0, 4.25, 8.0]);
    const ps = [0, 10, 25, 33, 50, 66.6, 75, 90, 100];
    expect(ps.map((p) => quantileSorted(sorted, p / 100))).toEqual([1.0, 1.6, 2.75, 3.4699999999999998, 4.25, 6.988999999999999, 7.5, 8.8, 10.0]);
  });

  it("interpolates with numpy's _lerp, so results agree to the last bit", () => {
    // c = np.array([0.1, 0.7, 0.2, 1.3, 0.9, 2.6, 0.35]); np.percentile(c, [12, 27, 28, 80])
    //   -> [0.17200000000000001, 0.293, 0.302, 1.2200000000000004] (a + (b - a) * t would give 0.172, 0.29300000000000004, ...)
    const c = sortedPresent([0.1, 0.7, 0.2, 1.3, 0.9, 2.6, 0.35]);
    expect([12, 27, 28, 80].map((p) => quantileSorted(c, p / 100))).toEqual([0.17200000000000001, 0.293, 0.302, 1.2200000000000004]);
  });

  it('the median averages the two middle values, as np.median', () => {
    // b = np.array([0.1, 0.2, 0.7, 0.3]); np.median(b) -> 0.25; np.percentile(b, [25, 75]) -> [0.17500000000000002, 0.39999999999999997]
    const b = sortedPresent([0.1, 0.2, 0.7, 0.3]);
    expect(medianSorted(b)).toBe(0.25);
    expect([quantileSorted(b, 0.25), quantileSorted(b, 0.75)]).toEqual([0.17500000000000002, 0.39999999999999997]);
    expect(medianSorted(sortedPresent([3, NaN, 1, 2]))).toBe(2);
    expect(medianSorted(new Float64Array(0))).toBeNaN();
  });

  it('moments over shards agree with a direct two-pass computation', () => {
    const n = 70_000; // more than one shard
    const x = Float64Array.from({ length: n }, (_, i) => 1e6 + 3 * Math.sin(i * 0.7) + (i % 7 === 0 ? NaN : 0));
    let count = 0;
    let sum = 0;
    for (const v of x) if (!Number.isNaN(v)) (count++, (sum += v));
    const mean = sum / count;
    let ss = 0;
    for (const v of x) if (!Number.isNaN(v)) ss += (v - mean) ** 2;
    const m = moments(x);
    expect(m.count).toBe(count);
    expect(m.mean).toBeCloseTo(mean, 6);
    expect(populationVariance(m) / (ss / count)).toBeCloseTo(1, 10);
    // Merging is order-aware but exact on counts, and merging with an empty shard changes nothing.
    const halves = mergeMoments(partialMoments(x, 0, 30_000), partialMoments(x, 30_000));
    expect(halves.count).toBe(count);
    expect(halves.mean).toBeCloseTo(mean, 6);
    expect(mergeMoments(m, partialMoments([NaN]))).toBe(m);
  });

  it('mode, extent and stored statistics', () => {
    expect(modeSorted(sortedPresent([4, 2, 4, 2, 9]))).toBe(2);
    expect(extent([3, NaN, -1, 8])).toEqual([-1, 8]);
    expect(extent([NaN])).toEqual([NaN, NaN]);
    expect(Object.is(stat(-0), 0)).toBe(true);
  });
});

describe('moments of a column far from zero', () => {
  // test/fixtures/prep_offset_moments.py (scikit-learn 1.2.1, numpy 1.24.2): 1e15 + ((i * 7919) % 1000), every 10th row missing
  const ref = JSON.parse(readFileSync(new URL('./fixtures/prep-offset-moments.json', import.meta.url), 'utf8')) as {
    cases: { n: number; imputer_mean: number; standard_center: number; standard_scale: number; zscore_3: [number, number] }[];
  };
  const offsetFrame = (n: number) => frame({ x: Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : 1e15 + ((i * 7919) % 1000))) });

  for (const c of ref.cases) {
    it(`keeps the mean and spread of ${c.n} rows as scikit-learn's (a plain sum lost the mean)`, async () => {
      // one float64 step at 1e15 is 0.125
      const imp = await new Imputer({ strategy: 'mean' }).fit(offsetFrame(c.n));
      expect(Math.abs(imp.statistics[0] - c.imputer_mean)).toBeLessThanOrEqual(0.125);
      const sc = await new Scaler({ method: 'standard' }).fit(offsetFrame(c.n));
      expect(Math.abs(sc.centers[0] - c.standard_center)).toBeLessThanOrEqual(0.125);
      expect(Math.abs(sc.scales[0] / c.standard_scale - 1)).toBeLessThan(1e-12);
      const [low, high] = c.zscore_3;
      const z = (await new Outliers({ method: 'zscore', threshold: 3 }).fit(offsetFrame(c.n))).bounds[0];
      expect(Math.abs(z.low - low)).toBeLessThanOrEqual(0.25);
      expect(Math.abs(z.high - high)).toBeLessThanOrEqual(0.25);
      // the scaled column is centred: its mean is within float64 rounding of 0
      const out = col(sc.transform(offsetFrame(c.n)).frame, 'x').filter((v) => v === v);
      expect(Math.abs(out.reduce((a, b) => a + b, 0) / out.length)).toBeLessThan(c.standard_scale === 1 ? 0.5 : 1e-3);
    });
  }
});
